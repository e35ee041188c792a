"""A W&B training script; only its import line changed (`import wandb` before).

It uses W&B's surface: init(), run.config, run.log(), run.finish().
"""
import math

import sweep_client as wandb

run = wandb.init(project="demo", config={"lr": 0.01, "batch_size": 32, "optimizer": "adam", "epochs": 8})
config = run.config
loss = 2.0
for epoch in range(config.epochs):
    # A stand-in for training: the loss falls faster for a good rate and optimizer.
    speed = 0.5 * math.exp(-abs(math.log10(config.lr) + 2)) * (1.2 if config.optimizer == "adam" else 1.0)
    loss = loss * (1 - speed) + 0.01 * config.batch_size / 64
    run.log({"epoch": epoch, "val_loss": loss})
run.finish()
