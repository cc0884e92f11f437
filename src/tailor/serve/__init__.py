"""Online serving over the published marts: `tailor serve` (FastAPI on uvicorn). See docs/serving.md."""
