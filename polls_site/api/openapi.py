"""The OpenAPI 3.1 description of the read-only public JSON API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from ..polls.sections import SECTION_PATTERN

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}

_POLL_ID = {
    "name": "poll_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_document(server_url: str) -> dict[str, Any]:
    """The OpenAPI document, with ``server_url`` as the one server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "polls_site public API",
            "version": "1.0.0",
            "description": (
                "Read-only JSON for published polls and comment counts. Drafts are never "
                "listed. Percentages are integers that add up to 100 over the visible options "
                "(largest remainder); they are null while a poll has fewer voters than its "
                "minimum sample. A poll whose results are hidden (visible after voting, after "
                "closing, or never) publishes no total, count or share until its setting allows: "
                "its total is null in the list and /results answers 403."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/api/polls": {
                "get": {
                    "operationId": "listPolls",
                    "summary": "Published polls, newest first",
                    "responses": {
                        "200": _json(
                            {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/PollSummary"},
                            },
                            "The polls",
                        )
                    },
                }
            },
            "/api/polls/current": {
                "get": {
                    "operationId": "currentPoll",
                    "summary": "The current poll of a portal section",
                    "parameters": [
                        {
                            "name": "section",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "string",
                                "pattern": SECTION_PATTERN,
                                "default": "main",
                            },
                        }
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["id", "section"],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "section": {"type": "string"},
                                },
                            },
                            "The section's current poll",
                        ),
                        "400": _json(_ERROR, "A malformed section name"),
                        "404": _json(_ERROR, "The section has no current poll"),
                    },
                }
            },
            "/api/polls/{poll_id}/results": {
                "get": {
                    "operationId": "pollResults",
                    "summary": "The latest counted results of one poll",
                    "parameters": [_POLL_ID],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Results"}, "The results"),
                        "403": _json(_ERROR, "The poll's results are not public (yet)"),
                        "404": {"description": "No such published poll"},
                    },
                }
            },
            "/api/comments/count": {
                "get": {
                    "operationId": "commentCounts",
                    "summary": "Approved-comment counts of several threads at once",
                    "parameters": [
                        {
                            "name": "key",
                            "in": "query",
                            "required": True,
                            "style": "form",
                            "explode": True,
                            "schema": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": 50,
                                "items": {"type": "string", "minLength": 1, "maxLength": 200},
                            },
                        }
                    ],
                    "responses": {
                        "200": _json(
                            {"type": "object", "additionalProperties": {"type": "integer"}},
                            "A count per thread key (0 for threads with no comments)",
                        ),
                        "400": _json(_ERROR, "No key, too many keys or a malformed key"),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "PollSummary": {
                    "type": "object",
                    "required": ["id", "question", "status", "results_public", "total"],
                    "properties": {
                        "id": {"type": "integer"},
                        "question": {"type": "string"},
                        "status": {"type": "string", "enum": ["open", "closed"]},
                        "results_public": {
                            "type": "boolean",
                            "description": "Whether /results answers for this poll now",
                        },
                        "total": {
                            "type": ["integer", "null"],
                            "minimum": 0,
                            "description": "Votes counted; null while the results are hidden",
                        },
                    },
                    # Examples hold no real poll's numbers: one public, one hidden.
                    "examples": [
                        {
                            "id": 2,
                            "question": "Как вы оцениваете работу общественного транспорта?",
                            "status": "closed",
                            "results_public": True,
                            "total": 120,
                        },
                        {
                            "id": 3,
                            "question": "Кто победит на выборах?",
                            "status": "open",
                            "results_public": False,
                            "total": None,
                        },
                    ],
                },
                "ResultOption": {
                    "type": "object",
                    "required": ["id", "text", "votes", "percent"],
                    "properties": {
                        "id": {"type": "integer"},
                        "text": {"type": "string"},
                        "votes": {"type": "integer", "minimum": 0},
                        "percent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
                    },
                },
                "Results": {
                    "type": "object",
                    "required": [
                        "id",
                        "question",
                        "status",
                        "total",
                        "voters",
                        "options",
                        "computed_at",
                        "version",
                    ],
                    "properties": {
                        "id": {"type": "integer"},
                        "question": {"type": "string"},
                        "status": {"type": "string", "enum": ["open", "closed"]},
                        "total": {"type": "integer", "minimum": 0},
                        "voters": {"type": "integer", "minimum": 0},
                        "options": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/ResultOption"},
                        },
                        "computed_at": {"type": ["string", "null"], "format": "date-time"},
                        "version": {"type": "integer", "minimum": 0},
                    },
                },
            }
        },
    }
