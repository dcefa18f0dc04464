"""Keras 2.3.1's `keras.legacy`: the Keras 1 layers it still shipped (`legacy.layers`) and the
decorators that read Keras 1 spellings of Keras 2 calls (`legacy.interfaces`)."""
