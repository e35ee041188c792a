"""Keras 3 on tensorflow-cpu with one intra-op and one inter-op thread, shared by the Keras
peers: import `keras` from here, then `timed_fit` trains and reports like the other peers."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"

import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

import keras  # noqa: E402

from common import now, report  # noqa: E402


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


def timed_fit(model, args, x_train, y_train, x_val, y_val):
    """Adam 1e-3 and sparse cross-entropy, `model.fit` with per-epoch training times, then
    the peers' result line."""
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
        validation_data=(x_val, y_val), shuffle=True, verbose=0, callbacks=[timer])
    report("keras", args.batch_size, timer.seconds, history.history["val_accuracy"][-1], len(x_train))
