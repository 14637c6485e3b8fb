"""The baseline for the HTTP benchmark: FastAPI returning constant JSON, nothing else."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
def bare() -> dict[str, bool]:
    return {"ok": True}
