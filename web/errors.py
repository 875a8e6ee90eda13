"""Errors as JSON under /api (and /healthz), as pages elsewhere.

    400  a bad query-string parameter (`params.ParamError`)
    404  an unknown route or bulletin
    503  no index (or no archive) in the data home yet; a search cut by its
         time limit — the library's typed errors (`archive.errors`), worded
         in Chinese by their code (`web.messages`); a costly search that
         found no free slot (`web.admission`)
    500  anything else
"""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from archive.errors import ArchiveError

from . import messages
from .admission import Busy
from .params import ParamError

log = logging.getLogger(__name__)

TITLES = {400: "请求参数有误", 404: "页面不存在", 405: "不支持的请求方法",
          500: "服务器内部错误", 503: "检索服务暂不可用"}
MESSAGES = {404: "您访问的页面或文件不存在，可能已被移除或地址有误。",
            405: "该地址不支持此请求方法。",
            500: "处理请求时出错，请稍后再试。"}


JSON_PATHS = ("/healthz", "/export.jsonl")


BUSY = ("服务器正忙于处理其他复杂检索，请稍后再试，或换用更短、更少的检索词。",
        "the server is busy with other complex searches: try again later, or with "
        "a shorter query")


def wants_json() -> bool:
    """JSON for the API, the JSON Lines export, and a client that asks for
    JSON rather than HTML (`Accept`); a page otherwise."""
    if request.path.startswith("/api/") or request.path in JSON_PATHS:
        return True
    accept = request.accept_mimetypes
    return accept.quality("application/json") > accept.quality("text/html")


def respond(status: int, message: str, english: str | None = None):
    if wants_json():
        response = jsonify(error=english or message, status=status)
        response.status_code = status
        return response
    if status == 400:       # bad parameters: the search page with the message
        return render_template("search.html", result=None, error=message,
                               q=request.args.get("q", "")), 400
    return render_template("error.html", status=status, title=TITLES.get(status, "出错了"),
                           message=message), status


def init_app(app) -> None:
    @app.errorhandler(ParamError)
    def bad_params(exc):
        return respond(400, str(exc))

    @app.errorhandler(Busy)
    def busy(exc):
        return respond(503, BUSY[0], BUSY[1])

    @app.errorhandler(ArchiveError)
    def library_error(exc):
        return respond(messages.status(exc), messages.chinese(exc), messages.english(exc))

    @app.errorhandler(FileNotFoundError)
    def files_missing(exc):           # e.g. an index file gone mid-switch: no server path
        return respond(503, messages.CHINESE["no_archive"], messages.ENGLISH["no_archive"])

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return respond(exc.code or 500, MESSAGES.get(exc.code, exc.description), exc.description)

    @app.errorhandler(Exception)
    def server_error(exc):
        log.exception("unhandled error on %s", request.path)
        return respond(500, MESSAGES[500], "internal server error")
