"""Training: config, the pair dataset the samplers index, the loss, and the Trainer wiring."""
