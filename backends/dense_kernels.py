"""The fully connected layer's fused kernels, written once against `self.xp`.

`x @ kernel + bias` followed by an activation is the hot path of every MLP. Fused, the
forward writes one output array and does the bias and activation in place on it (plain
NumPy code allocates three), and the backward turns the incoming gradient into the
pre-activation gradient once and feeds it to the three products. A backend may
override either with a single kernel (on a GPU: one launch for bias + activation).
"""
from __future__ import annotations

# Activations whose derivative can be read off the output y, so the pre-activation
# values need not be kept for the backward pass.
DENSE_ACTIVATIONS = ("linear", "relu", "tanh")


class DenseKernels:
    """Mixin of ArrayBackend: the fused dense forward and backward over raw arrays."""

    def dense_forward(self, x, kernel, bias, activation: str):
        """activation(x @ kernel + bias) for 2-D x and kernel of one floating dtype; bias may be None."""
        y = self.matmul(x, kernel)
        self.bias_activation_in_place(y, bias, activation)
        return y

    def bias_activation_in_place(self, y, bias, activation: str) -> None:
        """y += bias (None: no bias), then y = activation(y), in place (the convolutions use it too)."""
        if bias is not None:
            y += bias
        if activation == "relu":
            self.xp.maximum(y, 0, out=y)
        elif activation == "tanh":
            self.xp.tanh(y, out=y)

    def dense_activation_backward(self, dy, y, activation: str, out=None):
        """The gradient before the activation, from the gradient `dy` after it and its output `y`;
        written into `out` when given (a linear activation returns dy itself)."""
        xp = self.xp
        if activation == "relu":
            return xp.multiply(dy, y > 0, out=out)
        if activation == "tanh":
            g = xp.multiply(y, y, out=out)
            g -= 1
            g *= dy
            xp.negative(g, out=g)
            return g
        return dy

    def dense_backward(self, dy, y, x, kernel, activation: str, need_x: bool, need_kernel: bool, need_bias: bool):
        """Gradients (x, kernel, bias) of `dense_forward`, each None where not asked for."""
        g = self.dense_activation_backward(dy, y, activation)
        gx = self.matmul(g, kernel.T) if need_x else None
        gk = self.matmul(x.T, g) if need_kernel else None
        gb = g.sum(axis=0) if need_bias else None
        return gx, gk, gb
