"""The mask mode: temporal consistency of predicted masks and mattes."""
