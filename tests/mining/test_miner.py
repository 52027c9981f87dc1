"""Mining on tiny corpora whose neighbours are known: guards, margin, window, determinism."""

from __future__ import annotations

import pytest

from hybridir.data.examples import TrainingCorpus, TrainingExample, TrainingText
from hybridir.errors import UserError
from hybridir.mining.miner import mine_corpus
from hybridir.mining.settings import MiningSettings, within_margin
from tests.mining.table_scorer import TableScorer


def _example(qid: str, group: str, **texts: tuple[str, str]) -> TrainingExample:
    return TrainingExample(qid, group, {lang: TrainingText(q, p) for lang, (q, p) in texts.items()})


def _ranked_corpus() -> tuple[TrainingCorpus, TableScorer]:
    """Five English examples, each its own group; q0 ranks p0 > p1 > p2 > p3 > p4."""
    corpus = TrainingCorpus([_example(f"{i}", f"g{i}", en=(f"q{i}", f"p{i}")) for i in range(5)])
    table = {(f"q{i}", f"p{i}"): 1.0 for i in range(5)}
    # p1 is within the 5% relative margin of q0's positive: a likely false negative.
    table.update({("q0", "p1"): 0.99, ("q0", "p2"): 0.8, ("q0", "p3"): 0.5, ("q0", "p4"): 0.2})
    return corpus, TableScorer(table)


def _negatives(corpus: TrainingCorpus, qid: str, lang: str = "en") -> tuple[str, ...]:
    return next(ex for ex in corpus.examples if ex.id == qid).texts[lang].negatives


def test_known_neighbours_respect_the_margin_and_never_the_positive() -> None:
    corpus, scorer = _ranked_corpus()
    mined, records = mine_corpus(corpus, scorer, MiningSettings(num_negatives=2, range_max=4))
    assert _negatives(mined, "0") == ("p2", "p3")  # p1 broke the margin, p0 is the positive
    for example in mined.examples:
        for text in example.texts.values():
            assert text.positive not in text.negatives
    for record in records:
        scores = [score for _, score in record.negatives]
        assert within_margin(scores, record.positive_score, MiningSettings()).all()
        assert all(s <= record.positive_score - 0.05 * abs(record.positive_score) for s in scores)


def test_margin_off_lets_the_near_duplicate_in_and_absolute_margin_applies() -> None:
    corpus, scorer = _ranked_corpus()
    mined, _ = mine_corpus(corpus, scorer, MiningSettings(num_negatives=2, relative_margin=None))
    assert _negatives(mined, "0") == ("p1", "p2")
    settings = MiningSettings(num_negatives=2, relative_margin=None, absolute_margin=0.3)
    mined, _ = mine_corpus(corpus, scorer, settings)
    assert _negatives(mined, "0") == ("p3", "p4")  # 0.8 + 0.3 > 1.0: p2 is too close too
    mined, _ = mine_corpus(corpus, scorer, MiningSettings(num_negatives=1, min_score=0.3, max_score=0.6))
    assert _negatives(mined, "0") == ("p3",)


def test_rank_window_skips_the_top_candidates() -> None:
    corpus, scorer = _ranked_corpus()
    mined, _ = mine_corpus(corpus, scorer, MiningSettings(num_negatives=1, range_min=1, range_max=3))
    assert _negatives(mined, "0") == ("p3",)  # p2 is rank 0 of the candidates left after the guards


def test_group_guard_excludes_sibling_questions() -> None:
    corpus = TrainingCorpus(
        [
            _example("a", "article-1", en=("qa", "pa")),
            _example("b", "article-1", en=("qb", "pb")),  # a sibling of a: same article
            _example("c", "article-2", en=("qc", "pc")),
        ]
    )
    table = {("qa", "pa"): 1.0, ("qb", "pb"): 1.0, ("qc", "pc"): 1.0, ("qa", "pb"): 0.7, ("qa", "pc"): 0.3}
    guarded, _ = mine_corpus(corpus, TableScorer(table), MiningSettings(num_negatives=1))
    assert _negatives(guarded, "a") == ("pc",)
    open_, _ = mine_corpus(corpus, TableScorer(table), MiningSettings(num_negatives=1, group_guard=False))
    assert _negatives(open_, "a") == ("pb",)


def test_identical_questions_never_get_each_others_answers() -> None:
    corpus = TrainingCorpus(
        [
            _example("a", "g1", en=("When?", "In 1990.")),
            _example("b", "g2", en=("When?", "In 2001.")),  # same question text, another answer
            _example("c", "g3", en=("Who?", "Ada.")),
        ]
    )
    table = {("When?", "In 1990."): 1.0, ("When?", "In 2001."): 0.9, ("When?", "Ada."): 0.2}
    table[("Who?", "Ada.")] = 1.0
    mined, _ = mine_corpus(corpus, TableScorer(table), MiningSettings(num_negatives=1, relative_margin=None))
    assert _negatives(mined, "a") == ("Ada.",)
    assert _negatives(mined, "b") == ("Ada.",)


def _bilingual() -> tuple[TrainingCorpus, dict[tuple[str, str], float]]:
    corpus = TrainingCorpus(
        [
            _example("a", "g1", en=("qa-en", "pa-en"), de=("qa-de", "pa-de")),
            _example("b", "g2", en=("qb-en", "pb-en"), de=("qb-de", "pb-de")),
            _example("c", "g3", en=("qc-en", "pc-en"), de=("qc-de", "pc-de")),
        ]
    )
    table = {(f"q{i}-{x}", f"p{i}-{y}"): 1.0 for i in "abc" for x in ("en", "de") for y in ("en", "de")}
    # pb-de is a fine negative for the German question but outscores the positive for the English one.
    table.update({("qa-de", "pb-de"): 0.6, ("qa-de", "pc-de"): 0.4, ("qa-en", "pb-de"): 1.2})
    return corpus, table


def test_negatives_are_in_the_passage_language_and_obey_the_cross_lingual_margin() -> None:
    corpus, table = _bilingual()
    mined, records = mine_corpus(corpus, TableScorer(table), MiningSettings(num_negatives=1))
    assert _negatives(mined, "a", "de") == ("pc-de",)  # pb-de broke the margin for qa-en
    record = next(r for r in records if r.language == "de" and r.example == 0)
    assert record.dropped_cross_lingual == 1
    for example in mined.examples:
        for lang, text in example.texts.items():
            assert all(n.endswith(f"-{lang}") for n in text.negatives)
    unguarded, _ = mine_corpus(
        corpus, TableScorer(table), MiningSettings(num_negatives=1, cross_lingual_guard=False)
    )
    assert _negatives(unguarded, "a", "de") == ("pb-de",)


def test_random_sampling_is_seeded_and_keep_existing_appends() -> None:
    corpus = TrainingCorpus(
        [TrainingExample("0", "g0", {"en": TrainingText("q0", "p0", ("old",))})]
        + [_example(f"{i}", f"g{i}", en=(f"q{i}", f"p{i}")) for i in range(1, 8)]
    )
    table = {(f"q{i}", f"p{i}"): 1.0 for i in range(8)}
    table.update({("q0", f"p{i}"): 0.1 * i for i in range(1, 8)})
    settings = MiningSettings(num_negatives=2, sampling="random", seed=3, keep_existing=True)
    first, _ = mine_corpus(corpus, TableScorer(table), settings)
    again, _ = mine_corpus(corpus, TableScorer(table), settings)
    assert _negatives(first, "0") == _negatives(again, "0")
    assert len(_negatives(first, "0")) == 3 and _negatives(first, "0")[-1] == "old"


def test_a_text_with_no_candidate_is_counted() -> None:
    corpus = TrainingCorpus([_example("a", "g", en=("qa", "pa")), _example("b", "g", en=("qb", "pb"))])
    mined, records = mine_corpus(corpus, TableScorer({("qa", "pa"): 1.0}), MiningSettings(num_negatives=1))
    assert all(not text.negatives for ex in mined.examples for text in ex.texts.values())
    assert [r.negatives for r in records] == [[], []]
    assert records[0].positive_score == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (MiningSettings(num_negatives=0), "--num-negatives"),
        (MiningSettings(range_min=5, range_max=5), "rank window"),
        (MiningSettings(num_negatives=9, range_max=4), "does not fit"),
        (MiningSettings(relative_margin=-0.1), "--relative-margin"),
        (MiningSettings(sampling="best"), "--sampling"),
    ],
)
def test_bad_settings_are_one_line_errors(settings: MiningSettings, message: str) -> None:
    corpus, scorer = _ranked_corpus()
    with pytest.raises(UserError, match=message) as caught:
        mine_corpus(corpus, scorer, settings)
    assert "\n" not in str(caught.value)
