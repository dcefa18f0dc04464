"""Extending K two ways, both differentiable on every backend.

1. A composite of K functions: gradients come for free.
2. A new primitive: a forward over the backend's array module and a gradient in K.

Run: python examples/custom_k_function.py
"""
from multinn import backend as K


# 1. A composite: written with K only, so autodiff differentiates it.
def l1_reg(w):
    return 0.01 * K.sum(K.abs(w))


def smooth_l1(x, delta=1.0):
    absolute = K.abs(x)
    return K.where(K.less(absolute, delta), 0.5 * K.square(x), delta * (absolute - 0.5 * delta))


# 2. A primitive: `forward(b, *arrays, **params)` runs on raw arrays through `b.xp`
#    (NumPy's API, which CuPy mirrors), so one forward serves every backend. A dict
#    {"numpy": f, "cupy": g, "generic": h} gives per-backend forwards instead.
#    `grad(dy, y, *inputs, **params)` returns one gradient per input, written with K.
def _swish_forward(b, x, beta):
    return x / (1 + b.xp.exp(-beta * x))


def _swish_grad(dy, y, x, beta):
    s = K.sigmoid(beta * x)
    return (dy * (s + beta * y * (1 - s)),)


swish = K.primitive("swish", forward=_swish_forward, grad=_swish_grad)


if __name__ == "__main__":
    w = K.variable([[0.5, -1.5], [2.0, -0.25]])
    print("l1_reg gradient:\n", K.gradients(l1_reg(w), [w])[0])
    print("smooth_l1 gradient:\n", K.gradients(K.sum(smooth_l1(w)), [w])[0])
    print("swish(w, beta=1.5):\n", swish(w, beta=1.5))
    # Both are checked against central differences in float64:
    K.check_gradients(smooth_l1, [[[0.3, -2.0, 1.7]]])
    K.check_gradients(lambda x: swish(x, beta=1.5), [[[0.3, -2.0, 1.7]]])
    print("gradient checks passed on backend", K.backend())
