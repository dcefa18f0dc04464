"""Data-parallel training with multinn.distribute (Horovod's API) on the handwritten digits.

Each process trains on its own shard of the data; DistributedOptimizer averages the gradients
of all processes before every update, so every process holds the same weights throughout.

    pip install '.[mpi,examples]'
    mpiexec -n 2 python examples/distributed_mnist.py                         # 2 processes, NumPy
    mpiexec -n 2 env MULTINN_BACKEND=cupy python examples/distributed_mnist.py   # 2 GPUs, NCCL
    python examples/distributed_mnist.py                                      # 1 process: the same script

The data are scikit-learn's 8x8 digits (MNIST's little sibling, shipped offline); pass
`--data mnist` to use multinn.datasets.mnist instead (downloaded once), `--epochs N` to change
the number of epochs (10). With 2 CPU
processes, set OMP_NUM_THREADS=1 (or your BLAS's variable) so they do not fight over cores.
"""
import argparse
import time

import numpy as np

import multinn
from multinn import backend as K
from multinn import distribute
from multinn.layers import Dense, Dropout
from multinn.models import Sequential
from multinn.optimizers import Adam

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", choices=["digits", "mnist"], default="digits")
parser.add_argument("--epochs", type=int, default=10)
args = parser.parse_args()
EPOCHS = args.epochs
BATCH_SIZE = 32  # per process: the global batch is BATCH_SIZE * size()

distribute.init()  # first: on CuPy each process then takes GPU local_rank()
rank, size = distribute.rank(), distribute.size()
start = time.time()

if args.data == "mnist":
    from multinn.datasets import mnist

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train, x_test = x_train.reshape(-1, 784) / 255.0, x_test.reshape(-1, 784) / 255.0
else:
    from multinn.datasets import digits

    (x_train, y_train), (x_test, y_test) = digits.load_data(test_split=0.2, seed=113)
    x_train, x_test = x_train.reshape(-1, 64), x_test.reshape(-1, 64)
features = x_train.shape[1]

# Each rank takes every size-th sample, all shards of one length (the averaged gradient is then
# the whole batch's: a mean of equal-sized means).
n_train, n_test = len(x_train) // size * size, len(x_test) // size * size
x_shard, y_shard = x_train[rank:n_train:size], y_train[rank:n_train:size]
x_test_shard, y_test_shard = x_test[rank:n_test:size], y_test[rank:n_test:size]
if rank == 0:
    print(f"Backend: {K.backend()}; {size} process(es), {len(x_shard)} train samples each")

multinn.utils.set_random_seed(113 + rank)  # different on purpose: the broadcast below makes them equal
model = Sequential([Dense(128, activation="relu", input_shape=(features,)), Dropout(0.2),
                    Dense(10, activation="softmax")])
# Horovod's recipe: scale the learning rate by the number of processes, and warm it up.
lr = 0.001 * size
model.compile(optimizer=distribute.DistributedOptimizer(Adam(learning_rate=lr)),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
callbacks = [
    distribute.callbacks.BroadcastGlobalVariablesCallback(0),  # every rank starts from rank 0's weights
    distribute.callbacks.MetricAverageCallback(),  # logs hold the mean over the ranks
    distribute.callbacks.LearningRateWarmupCallback(initial_lr=lr, warmup_epochs=min(2, EPOCHS),
                                                    verbose=1 if rank == 0 else 0),
]
# Only rank 0 prints the progress bars (and would write ModelCheckpoint files): distribute.init's default.
model.fit(x_shard, y_shard, batch_size=BATCH_SIZE, epochs=EPOCHS, callbacks=callbacks,
          validation_data=(x_test_shard, y_test_shard), verbose=2)

loss, accuracy = model.evaluate(x_test_shard, y_test_shard, verbose=0)
accuracy = float(K.eval(distribute.allreduce(K.constant(accuracy), average=True, name="test_accuracy")))
# The same weights everywhere: gather one checksum per rank.
checksum = sum(float(np.abs(w).sum()) for w in model.get_weights())
checksums = K.eval(distribute.allgather(K.constant([checksum], dtype="float64")))
if rank == 0:
    print(f"Test accuracy (mean over {size} shards): {accuracy:.4f}")
    print(f"Same weights on every rank: {bool(np.all(checksums == checksums[0]))}")
    print(f"Done in {time.time() - start:.1f}s")
if not np.all(checksums == checksums[0]):
    raise SystemExit("The ranks' weights differ.")
