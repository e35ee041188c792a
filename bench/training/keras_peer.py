#!/usr/bin/env python3
"""Keras 3 on tensorflow-cpu (one intra-op, one inter-op thread): model.fit of the benchmark MLP."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"

from common import arguments, initial_weights, load_data, now, report  # noqa: E402

import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

import keras  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    """Training time of each epoch, without the validation pass."""

    def __init__(self):
        super().__init__()
        self.seconds = []
        self.start = None

    def on_epoch_begin(self, epoch, logs=None):
        self.start = now()

    def on_train_batch_end(self, batch, logs=None):
        self.last = now()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(self.last - self.start)


def main():
    args = arguments(__doc__)
    keras.utils.set_random_seed(0)
    x_train, y_train, x_val, y_val = load_data()
    kernels, biases = initial_weights()
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dense(300, activation="relu"),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.set_weights([w for pair in zip(kernels, biases) for w in pair])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
        validation_data=(x_val, y_val), shuffle=True, verbose=0, callbacks=[timer])
    report("keras", args.batch_size, timer.seconds, history.history["val_accuracy"][-1], len(x_train))


if __name__ == "__main__":
    main()
