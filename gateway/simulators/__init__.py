"""Built-in simulators of the providers' APIs: real HTTP servers over seeded datasets.

They play the provider, so they import nothing from the rest of the gateway and share none of
its assumptions. `dataset` generates records, `didforsale` and `carrierx` serve them,
`control` adds request counting and fault injection, `runner` starts them.
"""
