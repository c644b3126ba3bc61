"""Amazon Transcribe as a review-loop model: a finished job's transcript, reviewed and corrected
against the audio (``templates/aws/transcribe-review.liquid.html`` plays the media through
``grant_read_access``).

The input is the media's S3 URI (``"s3://bucket/calls/0042.wav"``), which the template plays;
the output is the transcript text, so a correction is a plain (media URI, corrected transcript)
pair — the shape of ASR fine-tuning manifests. The job is found by name: ``job_name(uri)``
(default: a digest of the URI; pass a mapping or a function for jobs you named yourself). With
``start_missing=True`` a job that does not exist is started (``StartTranscriptionJob``) and
waited for (``wait_s``, polling every ``poll_s``).

Confidence: each recognised word's ``confidence`` becomes a token logprob (``log(confidence)``),
so the logprob scorers (mean, min, perplexity) apply; ``metadata["confidence"]`` is the mean word
confidence and ``metadata["confidences"]`` the lowest few words'.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from hitl_agent.errors import ModelError
from hitl_agent.models.aws import aws_client, call_aws
from hitl_agent.s3_uri import parse_s3_url
from hitl_agent.types import Prediction, SimilarCorrection

__all__ = ["TranscribeJobs", "default_job_name", "transcript_prediction"]


def default_job_name(media_uri: str) -> str:
    return "hitl-" + hashlib.sha256(media_uri.encode("utf-8")).hexdigest()[:32]


def transcript_prediction(
    transcript: Mapping[str, Any], *, model_id: str = "transcribe",
    job: Mapping[str, Any] | None = None, latency_ms: float | None = None,
) -> Prediction:
    """The Prediction for a Transcribe transcript document (``results.transcripts``/``items``)."""
    results = transcript.get("results") or {}
    texts = [str(t.get("transcript", "")) for t in results.get("transcripts") or []]
    text = " ".join(t for t in texts if t).strip()
    words: list[tuple[str, float]] = []
    for item in results.get("items") or []:
        if item.get("type") != "pronunciation":
            continue
        alternatives = item.get("alternatives") or [{}]
        try:
            confidence = float(alternatives[0].get("confidence", 0.0))
        except (TypeError, ValueError):
            confidence = 0.0
        words.append((str(alternatives[0].get("content", "")), min(1.0, max(0.0, confidence))))
    logprobs = [math.log(max(c, 1e-6)) for _, c in words]
    lowest = sorted(enumerate(words), key=lambda iw: iw[1][1])[:10]
    metadata: dict[str, Any] = {
        "confidence": sum(c for _, c in words) / len(words) if words else 0.0,
        "confidences": {f"{i}:{w}": c for i, (w, c) in lowest},
        "words": len(words),
    }
    if job is not None:
        metadata["job_name"] = job.get("TranscriptionJobName")
        metadata["language_code"] = job.get("LanguageCode")
    return Prediction(output=text, token_logprobs=logprobs or None, model_id=model_id,
                      latency_ms=latency_ms, metadata=metadata)


class TranscribeJobs:
    """A :class:`~hitl_agent.models.base.ModelAdapter` over Transcribe transcription jobs.

    ``fetch(uri) -> bytes`` reads the transcript file (default: ``s3.get_object`` for an S3 URL,
    an HTTPS GET for a presigned one).
    """

    def __init__(
        self,
        client: Any = None,
        *,
        s3_client: Any = None,
        job_name: Mapping[str, str] | Callable[[str], str] | None = None,
        start_missing: bool = False,
        language_code: str | None = None,
        wait_s: float = 600.0,
        poll_s: float = 5.0,
        fetch: Callable[[str], bytes] | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        model_id: str = "transcribe",
    ) -> None:
        self.client = aws_client("transcribe", client, region_name=region_name,
                                 endpoint_url=endpoint_url)
        self._s3 = s3_client
        self._region_name = region_name
        self.job_name = job_name
        self.start_missing = start_missing
        self.language_code = language_code
        self.wait_s = wait_s
        self.poll_s = poll_s
        self.fetch = fetch or self._fetch
        self.model_id = model_id

    def name_for(self, media_uri: str) -> str:
        if isinstance(self.job_name, Mapping):
            return self.job_name.get(media_uri) or default_job_name(media_uri)
        if callable(self.job_name):
            return self.job_name(media_uri)
        return default_job_name(media_uri)

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = aws_client("s3", region_name=self._region_name)
        return self._s3

    def _fetch(self, uri: str) -> bytes:
        location = parse_s3_url(uri)
        if location is not None and "X-Amz-Signature" not in urlparse(uri).query:
            body = call_aws(self.s3, "get_object", Bucket=location.bucket, Key=location.key)["Body"]
            return bytes(body.read())
        import httpx

        try:
            response = httpx.get(uri, timeout=60.0, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ModelError(f"transcript {uri[:120]} cannot be read: {exc}",
                             field="TranscriptFileUri") from exc
        return response.content

    def _job(self, name: str, media_uri: str) -> dict[str, Any]:
        try:
            return call_aws(self.client, "get_transcription_job",
                            TranscriptionJobName=name)["TranscriptionJob"]
        except ModelError as exc:
            missing = exc.context.get("code") in ("BadRequestException", "NotFoundException")
            if not (missing and self.start_missing):
                raise
        params: dict[str, Any] = {"TranscriptionJobName": name,
                                  "Media": {"MediaFileUri": media_uri}}
        if self.language_code:
            params["LanguageCode"] = self.language_code
        else:
            params["IdentifyLanguage"] = True
        return call_aws(self.client, "start_transcription_job", **params)["TranscriptionJob"]

    def predict(self, input: Any, *, examples: Sequence[SimilarCorrection] = ()) -> Prediction:
        if not isinstance(input, str) or not input.strip():
            raise ModelError("input must be the media file's URI", field="input")
        name = self.name_for(input)
        start = time.perf_counter()
        job = self._job(name, input)
        deadline = time.monotonic() + self.wait_s
        while job.get("TranscriptionJobStatus") in ("QUEUED", "IN_PROGRESS"):
            if time.monotonic() > deadline:
                raise ModelError(f"transcription job {name!r} still "
                                 f"{job['TranscriptionJobStatus']} after {self.wait_s:g} s",
                                 job=name, field="TranscriptionJobStatus")
            time.sleep(self.poll_s)
            job = call_aws(self.client, "get_transcription_job",
                           TranscriptionJobName=name)["TranscriptionJob"]
        if job.get("TranscriptionJobStatus") != "COMPLETED":
            raise ModelError(f"transcription job {name!r} {job.get('TranscriptionJobStatus')}: "
                             f"{job.get('FailureReason', '')}", job=name,
                             field="TranscriptionJobStatus")
        uri = (job.get("Transcript") or {}).get("TranscriptFileUri")
        if not uri:
            raise ModelError(f"transcription job {name!r} has no transcript", job=name,
                             field="Transcript.TranscriptFileUri")
        try:
            document = json.loads(self.fetch(uri))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelError(f"transcript of {name!r} is not JSON", job=name) from exc
        prediction = transcript_prediction(document, model_id=self.model_id, job=job,
                                           latency_ms=(time.perf_counter() - start) * 1000.0)
        prediction.metadata["media_uri"] = input
        return prediction
