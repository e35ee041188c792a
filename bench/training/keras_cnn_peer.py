#!/usr/bin/env python3
"""Keras 3 on tensorflow-cpu (one intra-op, one inter-op thread): model.fit of the benchmark CNN.

The net of sweeps/cnn.yaml: Conv2D 32 3x3 same ReLU, MaxPooling2D 2, Conv2D 64 3x3 same ReLU,
MaxPooling2D 2, Flatten, Dense 128 ReLU, Dropout 0.3, Dense 10 softmax; he_normal hidden
kernels, glorot_uniform output, Adam 1e-3; images 28x28x1 scaled to [0, 1], the same
55,000/5,000 split as the MLP peers.
"""
from keras_common import keras, timed_fit

from common import arguments, load_data


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
    timed_fit(model, args, x_train, y_train, x_val, y_val)


if __name__ == "__main__":
    main()
