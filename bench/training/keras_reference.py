#!/usr/bin/env python3
"""Géron's chapter-11 reference models in Keras, on Sweep's split (first 5,000 training
images for validation), to compare the accuracies of sweeps/reference/*.yaml with Keras
itself on the same data: `keras_reference.py bn|deep-relu|deep-selu|piecewise [--seed N] [--epochs N]`."""
import argparse

from keras_common import keras

from common import load_data


def model_for(name):
    layers = [keras.Input(shape=(784,))]
    if name == "piecewise":
        layers += [keras.layers.Dense(300, activation="selu", kernel_initializer="lecun_normal"),
                   keras.layers.Dense(100, activation="selu", kernel_initializer="lecun_normal")]
    elif name == "bn":
        layers += [keras.layers.BatchNormalization(),
                   keras.layers.Dense(300, activation="relu", kernel_initializer="he_normal"),
                   keras.layers.BatchNormalization(),
                   keras.layers.Dense(100, activation="relu", kernel_initializer="he_normal"),
                   keras.layers.BatchNormalization()]
    else:
        activation, init = ("selu", "lecun_normal") if name == "deep-selu" else ("relu", "he_normal")
        layers.append(keras.layers.Dense(300, activation=activation, kernel_initializer=init))
        layers += [keras.layers.Dense(100, activation=activation, kernel_initializer=init) for _ in range(99)]
    layers.append(keras.layers.Dense(10, activation="softmax"))
    return keras.Sequential(layers)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=["bn", "deep-relu", "deep-selu", "piecewise"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--epochs", type=int)
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    x_train, y_train, x_val, y_val = load_data()
    epochs = args.epochs or {"bn": 10, "piecewise": 25}.get(args.name, 5)
    if args.name in ("deep-selu", "piecewise"):
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        std[std < 1e-8] = 1
        x_train, x_val = (x_train - mean) / std, (x_val - mean) / std
    model = model_for(args.name)
    callbacks = []
    if args.name == "piecewise":
        optimizer = keras.optimizers.Nadam()
        callbacks.append(keras.callbacks.LearningRateScheduler(lambda epoch: 0.01 if epoch < 5 else 0.005 if epoch < 15 else 0.001))
    else:
        optimizer = keras.optimizers.SGD(learning_rate=1e-3)
    model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=epochs, validation_data=(x_val, y_val), verbose=2, callbacks=callbacks)
    print({"model": args.name, "seed": args.seed, "val_accuracy": history.history["val_accuracy"]})


if __name__ == "__main__":
    main()
