"""Benchmarks, not tests: each module runs as a script (`make bench`).

A package only so that `lint-imports` checks its imports too: like any code outside a
package, benchmarks use `kb`, `renderers`, `contacts` and `api` through their front doors.
"""
