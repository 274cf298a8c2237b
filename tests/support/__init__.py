"""What tests share: factories, stack helpers (pausing replay, stopping servers), hospital data sets."""
