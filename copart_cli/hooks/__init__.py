"""Git hooks shipped with copart (installed into a hub by `copart hub init`)."""
