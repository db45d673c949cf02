"""Presidio's analyzer and anonymizer REST servers, regex-only, for the LiteLLM guardrail peer.

Microsoft ships these two servers as Docker images (Flask under gunicorn, one worker each by
default) that are not on PyPI. This file serves the same two endpoints with the same libraries
(``presidio-analyzer`` and ``presidio-anonymizer``, pinned in ``bench.overhead.guardrail``),
the same request and response shapes as the images' ``app.py``:

- ``POST /analyze``: ``{"text", "language", "entities"?, "score_threshold"?, ...}`` ->
  a JSON list of ``RecognizerResult.to_dict()`` (entity_type, start, end, score, ...);
- ``POST /anonymize``: ``{"text", "analyzer_results", "anonymizers"?}`` ->
  ``{"text": ..., "items": [...]}`` (default operator: replace with ``<ENTITY_TYPE>``);
- ``GET /health``: 200.

One deliberate difference from the images: no NER model. The images load spaCy's
``en_core_web_lg`` (PERSON, LOCATION, ORGANIZATION, NRP, DATE_TIME); here the NLP engine is
``spacy.blank("en")`` (a tokenizer only, nothing downloaded) and the registry holds every
predefined *pattern* recognizer Presidio loads for English (e-mail, phone, credit card, IBAN,
IP, URL, crypto wallet, date, US/UK/... identifiers: the list is printed at start-up), with the
phone recognizer's regions extended by JP so Japanese numbers (03-5412-7700) are found. So it
detects what its regexes and checksums find and no names, companies or addresses.

Runs in its own throw-away venv (``.bench/presidio``), so it imports nothing from this repo:
``python presidio_server.py --role analyzer|anonymizer --port N``. One process, requests
handled one at a time on the event loop, like one gunicorn sync worker.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import spacy
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

LANGUAGE = "en"  # LiteLLM's presidio_language default; pattern recognizers ignore the text's
REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR", "JP")  # Presidio's default + JP


def _analyzer() -> Any:
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    class BlankSpacyNlpEngine(SpacyNlpEngine):  # type: ignore[misc]
        """spaCy's rule-based English tokenizer, no statistical model (nothing to download)."""

        def load(self) -> None:
            self.nlp = {LANGUAGE: spacy.blank(LANGUAGE)}

    nlp = BlankSpacyNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "blank"}])
    nlp.load()
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    registry.load_predefined_recognizers(languages=[LANGUAGE], nlp_engine=nlp)
    # Drop every recognizer that needs a model (spaCy NER and the like) and Presidio's phone
    # recognizer, replaced by one that also knows Japanese numbers.
    keep = [
        r
        for r in registry.recognizers
        if r.__class__.__name__ not in {"SpacyRecognizer", "PhoneRecognizer"}
        and "Ner" not in r.__class__.__name__
    ]
    keep.append(PhoneRecognizer(supported_regions=REGIONS))
    registry.recognizers = keep
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=[LANGUAGE])
    names = sorted(f"{r.name} ({', '.join(r.supported_entities)})" for r in keep)
    print("presidio analyzer, pattern recognizers:", "; ".join(names), flush=True)
    return engine


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


def analyzer_app() -> Starlette:
    from presidio_analyzer.analyzer_request import AnalyzerRequest

    engine = _analyzer()

    async def analyze(request: Request) -> Response:
        try:
            req = AnalyzerRequest(await request.json())
        except ValueError as exc:
            return _bad(f"Invalid request json: {exc}")
        if not req.text:
            return _bad("No text provided")
        if not req.language:
            return _bad("No language provided")
        found = engine.analyze(
            text=req.text,
            language=req.language,
            correlation_id=req.correlation_id,
            score_threshold=req.score_threshold,
            entities=req.entities,
            return_decision_process=req.return_decision_process,
            ad_hoc_recognizers=req.ad_hoc_recognizers,
            context=req.context,
            allow_list=req.allow_list,
            allow_list_match=req.allow_list_match,
            regex_flags=req.regex_flags,
        )
        body = json.dumps(found, default=lambda o: o.to_dict(), sort_keys=True)
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/analyze", analyze, methods=["POST"]), _health()])


def anonymizer_app() -> Starlette:
    from presidio_anonymizer import AnonymizerEngine
    from presidio_anonymizer.entities import InvalidParamError
    from presidio_anonymizer.services.app_entities_convertor import AppEntitiesConvertor

    engine = AnonymizerEngine()

    async def anonymize(request: Request) -> Response:
        try:
            content = await request.json()
        except ValueError:
            return _bad("Invalid request json")
        if not content:
            return _bad("Invalid request json")
        try:
            operators = AppEntitiesConvertor.operators_config_from_json(content.get("anonymizers"))
            if AppEntitiesConvertor.check_custom_operator(operators):
                return _bad("Custom type anonymizer is not supported")
            results = AppEntitiesConvertor.analyzer_results_from_json(
                content.get("analyzer_results")
            )
            done = engine.anonymize(
                text=content.get("text", ""), analyzer_results=results, operators=operators
            )
        except InvalidParamError as exc:
            return _bad(exc.err_msg)
        return Response(done.to_json(), media_type="application/json")

    return Starlette(routes=[Route("/anonymize", anonymize, methods=["POST"]), _health()])


def _health() -> Route:
    async def health(_request: Request) -> Response:
        return Response("Presidio service is up", media_type="text/plain")

    return Route("/health", health, methods=["GET"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--role", choices=["analyzer", "anonymizer"], required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    app = analyzer_app() if args.role == "analyzer" else anonymizer_app()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
