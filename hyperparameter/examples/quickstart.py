"""A ready demo of hyperparameter's command line.

Try:

    python -m hyperparameter.examples.quickstart
    python -m hyperparameter.examples.quickstart --define greet.name=Alice --enthusiasm=3
    python -m hyperparameter.examples.quickstart -lps
    python -m hyperparameter.examples.quickstart -ep greet.name
"""

from __future__ import annotations

import hyperparameter as hp


@hp.param("greet")
def greet(name: str = "World", enthusiasm: int = 1, shout: bool = False, greeting: str = "Hello") -> str:
    """Greet someone, configurably.

    Args:
        name: who to greet.
        enthusiasm: how many exclamation marks to add.
        shout: write the greeting in capitals.
        greeting: the word to greet with.
    """
    text = f"{greeting}, {name}{'!' * enthusiasm}"
    if shout:
        text = text.upper()
    print(text)
    # Any code below can read the same values, without passing them along:
    style = hp.scope.greet.style | "plain"
    if style != "plain":
        print(f"(style: {style})")
    return text


def main() -> None:
    hp.launch(greet, prog="python -m hyperparameter.examples.quickstart")


if __name__ == "__main__":
    main()
