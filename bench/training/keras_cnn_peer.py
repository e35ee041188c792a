#!/usr/bin/env python3
"""Keras 3 on tensorflow-cpu (one intra-op, one inter-op thread): model.fit of the benchmark CNN.

The net of sweeps/cnn.yaml: Conv2D 32 3x3 same ReLU, MaxPooling2D 2, Conv2D 64 3x3 same ReLU,
MaxPooling2D 2, Flatten, Dense 128 ReLU, Dropout 0.3, Dense 10 softmax; he_normal hidden
kernels, glorot_uniform output, Adam 1e-3; images 28x28x1 scaled to [0, 1], the same
55,000/5,000 split as the MLP peers.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"

from common import arguments, load_data, now, report  # noqa: E402

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
        self.last = None

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
    x_train = x_train.reshape(-1, 28, 28, 1)
    x_val = x_val.reshape(-1, 28, 28, 1)
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer="he_normal"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu", kernel_initializer="he_normal"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
        validation_data=(x_val, y_val), shuffle=True, verbose=0, callbacks=[timer])
    report("keras", args.batch_size, timer.seconds, history.history["val_accuracy"][-1], len(x_train))


if __name__ == "__main__":
    main()
