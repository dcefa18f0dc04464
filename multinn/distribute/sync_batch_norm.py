"""`SyncBatchNormalization`: BatchNormalization whose training statistics span every rank's batch
(Horovod's `hvd.SyncBatchNormalization`, tf.keras's `experimental.SyncBatchNormalization`).

Each rank sums its batch and its squares over the reduction axes; one allreduce of
[sum, sum of squares, count] gives the global mean and variance (E[x^2] - E[x]^2). The
allreduce is a K primitive whose gradient is the allreduce of the incoming gradient, so the
backward pass carries every rank's dependence on the shared statistics: with the gradients
then averaged by DistributedOptimizer, N ranks train as one process on the whole batch would.
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.layers import BatchNormalization

from . import world


def _sum_forward(b: Any, x: Any) -> Any:
    return world.collectives_for(b).allreduce_many([x], average=False)[0]


def _sum_grad(dy: Any, y: Any, x: Any) -> tuple:
    # d(sum over ranks)/d(this rank's part) is 1 for every rank's loss: sum their gradients.
    return (allreduce_sum(dy),)


_allreduce_sum = K.primitive("distribute_allreduce_sum", forward=_sum_forward, grad=_sum_grad)


def allreduce_sum(x: Any) -> K.Tensor:
    """The sum of `x` over every rank, differentiable: its gradient is the sum of the gradients
    over every rank. Every rank must call it with the same shape, in the same order.

    Example:
        >>> from multinn import backend as K, distribute
        >>> distribute.init()
        >>> K.eval(allreduce_sum(K.constant([1.0, 2.0]))).tolist()  # one process: unchanged
        [1.0, 2.0]
    """
    return _allreduce_sum(x)


class SyncBatchNormalization(BatchNormalization):
    """BatchNormalization with the batch statistics of all ranks together in training (the
    arguments, weights, config and inference behaviour are BatchNormalization's). With one
    process it is BatchNormalization. Each rank's batch may have its own size.

    A saved model names this class: load it with
    `custom_objects={"SyncBatchNormalization": distribute.SyncBatchNormalization}`.

    Example:
        >>> from multinn import backend as K, distribute
        >>> distribute.init()
        >>> bn = distribute.SyncBatchNormalization()
        >>> bn(K.constant([[1.0], [3.0]]), training=True).numpy().round(2).tolist()
        [[-1.0], [1.0]]
    """

    def call(self, inputs: Any, training: Any = None) -> Any:
        if training is None:
            training = K.learning_phase()
        if not training or not world.is_initialized() or world.size() == 1:
            return super().call(inputs, training=training)
        x = inputs if isinstance(inputs, K.Tensor) else K.convert_to_tensor(inputs)
        ndim = x.ndim
        axis = self.axis if self.axis >= 0 else self.axis + ndim
        reduction_axes = [i for i in range(ndim) if i != axis]
        count = 1
        for i in reduction_axes:
            count *= int(x.shape[i])
        channels = int(x.shape[axis])
        local = K.concatenate([K.sum(x, axis=reduction_axes), K.sum(K.square(x), axis=reduction_axes),
                               K.constant([float(count)], dtype=K.dtype(x))])
        total = allreduce_sum(local)
        n = total[2 * channels]
        mean = total[:channels] / n
        variance = K.relu(total[channels:2 * channels] / n - K.square(mean))  # rounding can dip below 0
        shape = [1] * ndim
        shape[axis] = channels
        normed = (x - K.reshape(mean, shape)) / K.sqrt(K.reshape(variance, shape) + self.epsilon)
        if self.gamma is not None:
            normed = normed * K.reshape(self.gamma, shape)
        if self.beta is not None:
            normed = normed + K.reshape(self.beta, shape)
        if self._runs_updates():
            unbiased = variance * (n / K.maximum(n - (1.0 + self.epsilon), 1e-12))
            K.moving_average_update(self.moving_mean, K.stop_gradient(mean), self.momentum)
            K.moving_average_update(self.moving_variance, K.stop_gradient(unbiased), self.momentum)
        return normed
