"""The reference: a bare Starlette app returning the same JSON as the lbpy app under test.

Run as ``uvicorn reference_app:app`` with ROWS pointing at a JSON file of the records.
"""

import json
import os

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

with open(os.environ["BENCH_ROWS"]) as rows_file:
    ROWS = json.load(rows_file)
BY_ID = {str(row["id"]): row for row in ROWS}
LIKE = [row for row in ROWS if "row1" in row["name"]]


async def find(request):
    flt = request.query_params.get("filter")
    if flt == '{"where":{"name":{"like":"row1"}}}':
        return JSONResponse(LIKE)
    if flt == '{"limit":10}':
        return JSONResponse(ROWS[:10])
    return JSONResponse(ROWS)


async def find_by_id(request):
    row = BY_ID.get(request.path_params["id"])
    if row is None:
        return JSONResponse({"error": {"statusCode": 404}}, status_code=404)
    return JSONResponse(row)


app = Starlette(routes=[Route("/api/Model1s", find), Route("/api/Model1s/{id}", find_by_id)])
