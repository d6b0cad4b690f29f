"""The Python examples of the newest README."""

import threading

import hyperparameter as hp


@hp.param("foo")
def foo(x=1, y="a"):
    return f"x={x}, y={y}"


print(foo())
with hp.scope(**{"foo.x": 2}):
    print(foo())

x = hp.scope.foo.x | "default value"
print(x)

with hp.scope() as ps:  # scope 1
    ps.foo.x = 1
    with hp.scope() as ps2:  # scope 2
        ps.foo.y = 2
        print(hp.scope.foo.x | 0, hp.scope.foo.y | 0)
    print(hp.scope.foo.x | 0, hp.scope.foo.y | 0)


@hp.param("foo")
def show(x=1):
    print(f"foo.x={x}")


with hp.scope() as ps:
    ps.foo.x = 2
    show()
    t = threading.Thread(target=show)
    t.start()
    t.join()
