"""A small Transformer encoder classifying text: TextVectorization -> token + position embeddings ->
MultiHeadAttention + LayerNormalization + feed-forward -> pooling -> Dense.

The data set is generated here, so the example runs offline: short reviews with one opinion word
("good", "awful", ...) whose meaning flips when "not" stands right before it. A "not" before the
neutral word of the second clause flips nothing, and both sentences hold the same words, so
counting words is not enough: the model has to see which word "not" precedes, which attention
over positions can do. The example prints the test accuracy of the Transformer and of a
bag-of-words baseline on the same data.

Run: python examples/transformer_text.py   (either backend: MULTINN_BACKEND=cupy ...)
"""
import random

import numpy as np

import multinn
from multinn import backend as K
from multinn import layers

SEQUENCE_LENGTH, WIDTH = 16, 32
POSITIVE = ["good", "great", "excellent", "lovely", "superb", "fun"]
NEGATIVE = ["bad", "awful", "poor", "boring", "terrible", "dull"]
SUBJECTS = ["the movie", "this film", "the plot", "the acting", "the story", "the cast", "the ending"]
FILLERS = ["really", "quite", "very", "so", "truly"]
NEUTRAL = ["long", "short", "slow", "new", "old", "loud"]


def review(rng: random.Random) -> "tuple[str, int]":
    """One sentence and its label: 1 when the opinion, after any negation right before it, is positive.

    Most sentences hold one "not", either before the opinion ("was not good and it was long") or
    before the neutral word of the second clause ("was good and it was not long"): the same words,
    opposite labels, so only word order tells them apart.
    """
    positive = rng.random() < 0.5
    where = rng.choice(["opinion", "other", "other", "opinion", "none"])
    words = rng.choice(SUBJECTS).split() + ["was"]
    if rng.random() < 0.5:
        words.append(rng.choice(FILLERS))
    words += (["not"] if where == "opinion" else []) + [rng.choice(POSITIVE if positive else NEGATIVE)]
    words += ["and", "it", "was"] + (["not"] if where == "other" else []) + [rng.choice(NEUTRAL)]
    return " ".join(words), int(positive != (where == "opinion"))


def make_data(n: int, seed: int) -> "tuple[list, np.ndarray]":
    rng = random.Random(seed)
    pairs = [review(rng) for _ in range(n)]
    return [text for text, _ in pairs], np.array([[label] for _, label in pairs], dtype="float32")


class PositionEmbedding(layers.Layer):
    """Adds a learned vector per position to the token embeddings (the Transformer's order signal)."""

    def build(self, input_shape):
        self.positions = self.add_weight(name="positions", shape=tuple(input_shape[1:]), initializer="uniform")
        super().build(input_shape)

    def call(self, inputs, mask=None):
        return inputs + self.positions

    def compute_mask(self, inputs, mask=None):
        return mask


def encoder_block(x):
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=WIDTH // 2)(x, x)
    x = layers.LayerNormalization()(layers.Add()([x, attended]))
    forward = layers.Dense(WIDTH)(layers.Dense(2 * WIDTH, activation="relu")(x))
    return layers.LayerNormalization()(layers.Add()([x, forward]))


def transformer(vocabulary_size: int) -> multinn.Model:
    tokens = multinn.Input(shape=(SEQUENCE_LENGTH,), dtype="int32")
    x = layers.Embedding(vocabulary_size, WIDTH, mask_zero=True)(tokens)
    x = encoder_block(PositionEmbedding()(x))
    x = layers.GlobalAveragePooling1D()(x)
    return multinn.Model(tokens, layers.Dense(1, activation="sigmoid")(x))


def bag_of_words(vocabulary_size: int) -> multinn.Model:
    return multinn.Sequential([layers.Dense(16, activation="relu", input_shape=(vocabulary_size,)),
                               layers.Dense(1, activation="sigmoid")])


def main() -> None:
    multinn.utils.set_random_seed(0)
    print(f"Backend: {K.backend()}")
    train_texts, y_train = make_data(3000, seed=1)
    test_texts, y_test = make_data(1000, seed=2)
    vectorize = layers.TextVectorization(output_sequence_length=SEQUENCE_LENGTH)
    vectorize.adapt(train_texts)
    vocabulary_size = len(vectorize.get_vocabulary())
    print(f"{len(train_texts)} training reviews, e.g. {train_texts[0]!r} -> {int(y_train[0, 0])}; "
          f"vocabulary of {vocabulary_size}")

    model = transformer(vocabulary_size)
    model.compile(optimizer=multinn.optimizers.Adam(learning_rate=0.003), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(vectorize(train_texts), y_train, batch_size=64, epochs=8, verbose=2)
    accuracy = model.evaluate(vectorize(test_texts), y_test, verbose=0)[1]

    counts = layers.TextVectorization(output_mode="count", vocabulary=vectorize.get_vocabulary()[2:])
    baseline = bag_of_words(len(counts.get_vocabulary()))
    baseline.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    baseline.fit(counts(train_texts), y_train, batch_size=64, epochs=30, verbose=0)
    baseline_accuracy = baseline.evaluate(counts(test_texts), y_test, verbose=0)[1]

    print(f"Transformer test accuracy: {accuracy:.3f}")
    print(f"Bag-of-words test accuracy: {baseline_accuracy:.3f}")


if __name__ == "__main__":
    main()
