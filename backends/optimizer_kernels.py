"""In-place optimizer updates over raw arrays, written once against `self.xp`.

Each method updates a parameter and its optimizer state in place with the formulas
of Keras 2's optimizers. Scalars arrive as Python floats computed on the host (the
bias corrections of the step), so float32 arrays stay float32. Scratch arrays are made
with `out=`, so a 0-d weight (tf.keras's Attention `scale`) keeps arrays, not NumPy
scalars, through the step. A backend may override any of them with a fused kernel (one
launch per variable on a GPU).
"""
from __future__ import annotations


class OptimizerKernels:
    """Mixin of ArrayBackend: one method per optimizer update rule."""

    def sgd_update(self, p, g, lr: float, momentum: float = 0.0, nesterov: bool = False, m=None) -> None:
        """p -= lr*g; with momentum m: m = momentum*m - lr*g, then p += m (Nesterov: p += momentum*m - lr*g)."""
        if m is None:
            p -= lr * g
            return
        step = lr * g
        m *= momentum
        m -= step
        if nesterov:
            p += momentum * m
            p -= step
        else:
            p += m

    def rmsprop_update(
        self, p, g, a, lr: float, rho: float, epsilon: float, momentum: float = 0.0, m=None, mg=None
    ) -> None:
        """a = rho*a + (1-rho)*g²; p -= lr*g/(sqrt(a)+eps); with momentum m (and centered mg) as Keras 2."""
        xp = self.xp
        tmp = xp.multiply(g, g, out=xp.empty_like(g))
        tmp *= 1.0 - rho
        a *= rho
        a += tmp
        if m is None:
            xp.sqrt(a, out=tmp)
            tmp += epsilon
            xp.divide(g, tmp, out=tmp)
            tmp *= lr
            p -= tmp
            return
        if mg is not None:
            mg *= rho
            xp.multiply(g, 1.0 - rho, out=tmp)
            mg += tmp
            xp.multiply(mg, mg, out=tmp)
            xp.subtract(a, tmp, out=tmp)
        else:
            tmp[...] = a
        tmp += epsilon
        xp.sqrt(tmp, out=tmp)
        xp.divide(g, tmp, out=tmp)
        tmp *= lr
        m *= momentum
        m += tmp
        p -= m

    def adagrad_update(self, p, g, a, lr: float, epsilon: float) -> None:
        """a += g²; p -= lr*g/(sqrt(a)+eps)."""
        xp = self.xp
        tmp = xp.multiply(g, g, out=xp.empty_like(g))
        a += tmp
        xp.sqrt(a, out=tmp)
        tmp += epsilon
        xp.divide(g, tmp, out=tmp)
        tmp *= lr
        p -= tmp

    def adadelta_update(self, p, g, a, d, lr: float, rho: float, epsilon: float) -> None:
        """a = rho*a + (1-rho)*g²; u = g*sqrt(d+eps)/sqrt(a+eps); p -= lr*u; d = rho*d + (1-rho)*u².

        14 passes over the arrays (15 at lr != 1; Keras 2's default is 1) instead of 16: the two
        square roots are taken as one, sqrt((d+eps)/(a+eps)), which differs from the quotient
        of two roots by float rounding only.
        """
        xp = self.xp
        tmp = xp.multiply(g, g, out=xp.empty_like(g))
        tmp *= 1.0 - rho
        a *= rho
        a += tmp
        u = xp.add(d, epsilon, out=xp.empty_like(d))  # out=: 0-d weights stay arrays
        xp.add(a, epsilon, out=tmp)
        u /= tmp
        xp.sqrt(u, out=u)
        u *= g
        if lr == 1.0:
            p -= u
        else:
            xp.multiply(u, lr, out=tmp)
            p -= tmp
        xp.multiply(u, u, out=tmp)
        tmp *= 1.0 - rho
        d *= rho
        d += tmp

    def _update_moments(self, g, m, v, beta_1: float, beta_2: float):
        """m = b1*m + (1-b1)*g and v = b2*v + (1-b2)*g² in place (Adam, Nadam); returns a scratch
        array shaped like g for the rest of the step."""
        xp = self.xp
        tmp = xp.multiply(g, 1.0 - beta_1, out=xp.empty_like(g))
        m *= beta_1
        m += tmp
        xp.multiply(g, g, out=tmp)
        tmp *= 1.0 - beta_2
        v *= beta_2
        v += tmp
        return tmp

    def adam_update(
        self, p, g, m, v, lr_t: float, beta_1: float, beta_2: float, epsilon: float, vhat=None, decay: float = 0.0
    ) -> None:
        """Adam with the bias correction folded into lr_t; `vhat` for AMSGrad; `decay` scales p first (AdamW)."""
        xp = self.xp
        if decay:
            p *= 1.0 - decay
        tmp = self._update_moments(g, m, v, beta_1, beta_2)
        if vhat is not None:
            xp.maximum(vhat, v, out=vhat)
            xp.sqrt(vhat, out=tmp)
        else:
            xp.sqrt(v, out=tmp)
        tmp += epsilon
        xp.divide(m, tmp, out=tmp)
        tmp *= lr_t
        p -= tmp

    def adamax_update(self, p, g, m, u, lr_t: float, beta_1: float, beta_2: float, epsilon: float) -> None:
        """m = b1*m + (1-b1)*g; u = max(b2*u, |g|); p -= lr_t*m/(u+eps)."""
        xp = self.xp
        tmp = xp.multiply(g, 1.0 - beta_1, out=xp.empty_like(g))
        m *= beta_1
        m += tmp
        u *= beta_2
        xp.abs(g, out=tmp)
        xp.maximum(u, tmp, out=u)
        xp.add(u, epsilon, out=tmp)
        xp.divide(m, tmp, out=tmp)
        tmp *= lr_t
        p -= tmp

    def nadam_update(
        self, p, g, m, v, lr: float, beta_1: float, beta_2: float, epsilon: float, c_g: float, c_m: float, c_v: float
    ) -> None:
        """Keras 2's Nadam: m, v moments; p -= lr*(c_g*g + c_m*m)/(sqrt(c_v*v)+eps).

        c_g, c_m, c_v carry the step's momentum schedule and bias corrections.
        """
        xp = self.xp
        tmp = self._update_moments(g, m, v, beta_1, beta_2)
        denom = xp.multiply(v, c_v, out=xp.empty_like(v))
        xp.sqrt(denom, out=denom)
        denom += epsilon
        xp.multiply(g, c_g, out=tmp)
        tmp += c_m * m
        tmp /= denom
        tmp *= lr
        p -= tmp
