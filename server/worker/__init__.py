"""Workers: Dramatiq actors that run jobs on ComfyUI, one lane per ComfyUI instance."""
