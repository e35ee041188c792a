#!/usr/bin/env python3
"""Keras 3 on tensorflow-cpu (one intra-op, one inter-op thread): model.fit of the benchmark MLP."""
from keras_common import keras, timed_fit

from common import arguments, initial_weights, load_data


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
    timed_fit(model, args, x_train, y_train, x_val, y_val)


if __name__ == "__main__":
    main()
