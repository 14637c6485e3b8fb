"""Adapters: Istok plugged into the systems a company already runs, each its own process.

Each talks to Istok only through `istok_client`, the public API a third party would use, and
puts every exchange on the contact's timeline under its channel identity.
"""
