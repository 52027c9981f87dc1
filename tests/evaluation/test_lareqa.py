"""LAReQA evaluation: hand-computed aggregates on a toy benchmark, blocking, and the real XQuAD-R pool."""

from __future__ import annotations

import re
import zlib
from statistics import fmean

import numpy as np
import pytest

from hybridir.data.lareqa import Candidate, LareqaBenchmark, Question, load_lareqa
from hybridir.errors import UserError
from hybridir.evaluation.lareqa import evaluate_lareqa
from hybridir.evaluation.metrics import average_precision, relevant_ranks
from tests.evaluation.toy import MULTI_RANKS, POOL_RANKS, SCORES, MatrixScorer, toy_benchmark


def _ap(ranks: list[int]) -> float:
    return fmean((k + 1) / r for k, r in enumerate(ranks))


def test_toy_aggregates_match_hand_computation() -> None:
    metrics = evaluate_lareqa(toy_benchmark(), MatrixScorer(SCORES), show_progress=False).to_metrics_dict()
    mono, cross = metrics["monolingual"], metrics["crosslingual"]

    # monolingual: en ranks 1, 2; de ranks 2, 1; es rank 2
    assert mono["by_language"] == pytest.approx({"en": 0.75, "de": 0.75, "es": 0.5})
    assert mono["map"] == pytest.approx(2 / 3)
    assert mono["recall@1"] == pytest.approx((0.5 + 0.5 + 0.0) / 3)

    # cross-lingual: en-b and de-b have no Spanish answer and are skipped for es, not scored 0
    expected_pairs = {
        "en": {"de": 0.75, "es": 1.0},
        "de": {"en": 0.75, "es": 0.5},
        "es": {"en": 1 / 3, "de": 0.5},
    }
    assert cross["by_pair"].keys() == expected_pairs.keys()
    for source, row in expected_pairs.items():
        assert cross["by_pair"][source] == pytest.approx(row)
    assert cross["by_language"] == pytest.approx({"en": 0.875, "de": 0.625, "es": (1 / 3 + 0.5) / 2})
    assert cross["map"] == pytest.approx((0.875 + 0.625 + 5 / 12) / 3)
    pooled_over_questions = fmean([1, 1, 0.5, 1, 0.5, 0.5, 1 / 3, 0.5])
    assert cross["map"] != pytest.approx(pooled_over_questions)  # pairs are averaged, not questions
    assert cross["recall@1"] == pytest.approx((0.75 + 0.25 + 0.0) / 3)
    assert cross["skipped"] == 2

    # multilingual: all languages in one pool
    multi_ap = [_ap(r) for r in MULTI_RANKS]
    expected_multi = {
        "en": fmean(multi_ap[0:2]),
        "de": fmean(multi_ap[2:4]),
        "es": multi_ap[4],
    }
    assert metrics["multilingual"]["by_language"] == pytest.approx(expected_multi)
    assert metrics["multilingual"]["map"] == pytest.approx(fmean(expected_multi.values()))
    assert metrics["multilingual"]["recall@10"] == 1.0

    # language bias: distances 4, 1 (en); 4, 2 (de); 5 (es)
    assert metrics["language_bias"]["by_language"] == pytest.approx({"en": 2.5, "de": 3.0, "es": 5.0})
    assert metrics["language_bias"]["rank_distance"] == pytest.approx(3.5)


def test_toy_per_query_records() -> None:
    result = evaluate_lareqa(toy_benchmark(), MatrixScorer(SCORES), show_progress=False)
    records = result.per_query
    assert len(records) == 5 + 8 + 5  # mono, cross (2 skipped), multi
    by_key = {(r["question"], r["setting"], r["target_language"]): r for r in records}
    assert (1, "crosslingual", "es") not in by_key
    for i, pools in enumerate(POOL_RANKS):
        own = toy_benchmark().questions[i].language
        for target, rank in pools.items():
            if rank is None:
                continue
            record = by_key[(i, "monolingual" if target == own else "crosslingual", target)]
            assert record["ap"] == pytest.approx(1 / rank)
            assert record["recall_at_k"] == (1.0 if rank == 1 else 0.0)
    multi = by_key[(4, "multilingual", None)]
    assert multi["qid"] == "a" and multi["language"] == "es" and multi["k"] == 10
    assert multi["ap"] == pytest.approx(_ap(MULTI_RANKS[4]))
    assert multi["rank_distance"] == 5.0


def _random_benchmark(seed: int) -> tuple[LareqaBenchmark, np.ndarray]:
    """Interleaved-language candidates, ids missing in some languages, integer scores (many ties)."""
    rng = np.random.default_rng(seed)
    languages = ["en", "de", "zh"]
    candidates, questions, answers = [], [], {}
    for qid in range(12):
        present = [lang for lang in languages if rng.random() < 0.7] or ["en"]
        for lang in present:
            answers.setdefault(qid, []).append(len(candidates))
            candidates.append(Candidate(lang, f"answer {qid}", "", "", 0))
            questions.append(Question(str(qid), lang, f"q{qid}"))
    for _ in range(15):
        candidates.append(Candidate(str(rng.choice(languages)), "distractor", "", "", 0))
    order = rng.permutation(len(candidates))
    position = np.argsort(order)
    candidates = [candidates[j] for j in order]
    relevant = [np.sort(position[answers[int(q.qid)]]) for q in questions]
    bench = LareqaBenchmark("random", languages, questions, candidates, relevant)
    return bench, rng.integers(0, 5, size=(len(questions), len(candidates))).astype(np.float32)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pools_agree_with_ranking_each_pool_separately(seed: int) -> None:
    bench, scores = _random_benchmark(seed)
    result = evaluate_lareqa(bench, MatrixScorer(scores), block_size=5, show_progress=False)
    relevant_mask = np.zeros(scores.shape, dtype=bool)
    for i, rel in enumerate(bench.relevant):
        relevant_mask[i, rel] = True
    for code in range(len(bench.languages)):
        columns = bench.candidate_language == code
        expected = average_precision(relevant_ranks(scores[:, columns], relevant_mask[:, columns]))
        np.testing.assert_allclose(result.pool_ap[:, code], expected, equal_nan=True)
    np.testing.assert_allclose(result.multi_ap, average_precision(relevant_ranks(scores, relevant_mask)))


@pytest.mark.parametrize("make", [lambda: (toy_benchmark(), SCORES), lambda: _random_benchmark(4)])
def test_block_size_does_not_change_metrics(make) -> None:
    bench, scores = make()
    scorer_one, scorer_all = MatrixScorer(scores), MatrixScorer(scores)
    one = evaluate_lareqa(bench, scorer_one, block_size=1, show_progress=False)
    everything = evaluate_lareqa(bench, scorer_all, block_size=1000, show_progress=False)
    assert len(scorer_one.calls) == len(bench.questions) and scorer_all.calls == [(0, len(bench.questions))]
    assert one.to_metrics_dict() == everything.to_metrics_dict()
    assert one.per_query == everything.per_query


def test_bad_scores_are_reported() -> None:
    bad = SCORES.copy()
    bad[2, 3] = np.nan
    with pytest.raises(UserError, match="NaN"):
        evaluate_lareqa(toy_benchmark(), MatrixScorer(bad), show_progress=False)
    with pytest.raises(ValueError, match="shape"):
        evaluate_lareqa(toy_benchmark(), MatrixScorer(SCORES[:, :4]), show_progress=False)


class OracleScorer:
    """Scores 1 for a question's relevant candidates and 0 elsewhere."""

    name = "oracle"
    notes: tuple[str, ...] = ()

    def __init__(self, benchmark: LareqaBenchmark) -> None:
        self.benchmark = benchmark

    def prepare(self, queries: list[str], candidates: list[str], cache_key: str | None = None) -> None:
        """Nothing to encode."""

    def score_block(self, start: int, stop: int) -> np.ndarray:
        """The relevance matrix rows ``start:stop``."""
        scores = np.zeros((stop - start, len(self.benchmark.candidates)), dtype=np.float32)
        for row, relevant in enumerate(self.benchmark.relevant[start:stop]):
            scores[row, relevant] = 1.0
        return scores


class BagOfWordsScorer:
    """Cosine of hashed word-count vectors: a lexical baseline that needs no model."""

    name = "bag-of-words"
    notes: tuple[str, ...] = ()
    dim = 4096

    def _embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % self.dim] += 1.0
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

    def prepare(self, queries: list[str], candidates: list[str], cache_key: str | None = None) -> None:
        """Embed all texts."""
        self.queries, self.candidates = self._embed(queries), self._embed(candidates)

    def score_block(self, start: int, stop: int) -> np.ndarray:
        """Cosine scores of queries ``start:stop``."""
        return self.queries[start:stop] @ self.candidates.T


def test_real_xquad_oracle_scores_perfectly(shared_data) -> None:
    bench = load_lareqa("xquad-r", shared_data / "xquad-r", languages="en,de")
    result = evaluate_lareqa(bench, OracleScorer(bench), show_progress=False)
    metrics = result.to_metrics_dict()
    assert len(bench.questions) == 2 * 1190
    for section, recall in (
        ("monolingual", "recall@1"),
        ("crosslingual", "recall@1"),
        ("multilingual", "recall@10"),
    ):
        assert metrics[section]["map"] == 1.0 and metrics[section][recall] == 1.0
    assert metrics["crosslingual"]["by_pair"] == {"en": {"de": 1.0}, "de": {"en": 1.0}}
    assert metrics["language_bias"]["rank_distance"] == 1.0  # the two answers take ranks 1 and 2
    assert len(result.per_query) == 3 * len(bench.questions)


def test_real_xquad_bag_of_words_runs_on_full_pools(shared_data) -> None:
    bench = load_lareqa("xquad-r", shared_data / "xquad-r", languages="en,de")
    scorer = BagOfWordsScorer()
    scorer.prepare([q.text for q in bench.questions], bench.candidate_texts())
    metrics = evaluate_lareqa(bench, scorer, show_progress=False).to_metrics_dict()
    mono, cross, multi = metrics["monolingual"], metrics["crosslingual"], metrics["multilingual"]
    pool = len(bench.candidates) / 2
    assert 0.3 < mono["map"] < 1.0 and mono["map"] > cross["map"] > 10 / pool
    assert 0.0 < multi["map"] < mono["map"]
    assert 0 <= metrics["language_bias"]["rank_distance"] < len(bench.candidates)
