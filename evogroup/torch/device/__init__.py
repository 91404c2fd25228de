"""Where and how one command computes: the runtime resolved once per command (device,
kernel, decode place, compile, world), the speed settings per device, and DDP under torchrun.

Imports :mod:`evogroup.torch.nn`, :mod:`evogroup.torch.options` and the core.
"""
