"""Fakes of the outside services, real enough that the production clients run against them."""
