"""The oldest README's three-layer configuration: inline defaults < config file < -D."""

from hyperparameter import auto_param, param_scope


@auto_param
def main(a=0, b=1):
    print(a, b)


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=str, default=None)
    parser.add_argument("-D", "--define", nargs="*", default=[], action="extend")
    args = parser.parse_args()

    cfg = {}
    if args.config:
        with open(args.config) as f:
            cfg = json.load(f)
    with param_scope(**cfg):
        with param_scope(*args.define):
            main()
