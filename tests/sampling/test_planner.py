"""Batch planning: the no-duplicate invariant, each strategy's language rules, determinism, errors."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridir.errors import UserError
from hybridir.sampling.planner import BatchKind, BatchPlanner, PlannedBatch, Strategy, parse_strategy
from hybridir.sampling.weights import parse_language_weights
from tests.sampling.checks import check_batches, draws, expected_error

LANGUAGES = ("ar", "de", "en", "es", "hi")

language_sets = st.frozensets(st.sampled_from(LANGUAGES), min_size=1)
corpora = st.lists(language_sets, min_size=2, max_size=60)


@st.composite
def dense_corpora(draw: st.DrawFn) -> tuple[list[frozenset[str]], int]:
    """A corpus and batch size where every language can fill a batch (so mono batches are possible)."""
    batch_size = draw(st.integers(2, 6))
    raw = draw(st.lists(language_sets, min_size=batch_size, max_size=80))
    counts = Counter(lang for langs in raw for lang in langs)
    kept = [frozenset(lang for lang in langs if counts[lang] >= batch_size) for langs in raw]
    return [langs for langs in kept if langs], batch_size


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(
    example_languages=corpora,
    batch_size=st.integers(2, 6),
    strategy=st.sampled_from(list(Strategy)),
    alpha=st.sampled_from([0.0, 0.3, 0.5, 1.0]),
    seed=st.integers(0, 2**32),
    epoch=st.integers(0, 5),
)
def test_every_strategy_keeps_the_batch_invariants(
    example_languages: list[frozenset[str]],
    batch_size: int,
    strategy: Strategy,
    alpha: float,
    seed: int,
    epoch: int,
) -> None:
    try:
        planner = BatchPlanner(example_languages, batch_size, strategy, alpha, seed=seed)
    except UserError as error:
        assert expected_error(example_languages, batch_size, strategy, alpha), f"unexpected error: {error}"
        assert "\n" not in str(error)
        return
    assert not expected_error(example_languages, batch_size, strategy, alpha)
    mono, cross = draws(strategy, alpha)
    min_languages = 2 if cross and not mono else 1
    usable = sum(len(langs) >= min_languages for langs in example_languages)
    assert planner.num_batches == usable // batch_size
    batches = planner.plan_epoch(epoch)
    check_batches(batches, example_languages, planner)
    assert batches == BatchPlanner(example_languages, batch_size, strategy, alpha, seed=seed).plan_epoch(
        epoch
    )


@PROPERTY
@given(
    corpus=dense_corpora(),
    strategy=st.sampled_from([Strategy.X_X_MONO, Strategy.HYBRID]),
    alpha=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32),
)
def test_mono_capable_corpora_plan_valid_epochs(
    corpus: tuple[list[frozenset[str]], int], strategy: Strategy, alpha: float, seed: int
) -> None:
    example_languages, batch_size = corpus
    try:
        planner = BatchPlanner(example_languages, batch_size, strategy, alpha, seed=seed)
    except UserError as error:
        assert expected_error(example_languages, batch_size, strategy, alpha), f"unexpected error: {error}"
        return
    check_batches(planner.plan_epoch(1), example_languages, planner)


@PROPERTY
@given(
    example_languages=corpora,
    batch_size=st.integers(2, 6),
    strategy=st.sampled_from([Strategy.X_X, Strategy.X_Y]),
)
def test_pair_strategies_use_each_example_at_most_once_per_epoch(
    example_languages: list[frozenset[str]], batch_size: int, strategy: Strategy
) -> None:
    try:
        planner = BatchPlanner(example_languages, batch_size, strategy)
    except UserError:
        return
    drawn = [i for batch in planner.plan_epoch(0) for i, _, _ in batch.items]
    assert len(drawn) == len(set(drawn))


@PROPERTY
@given(pool=st.integers(2, 9), batch_size=st.integers(2, 9), seed=st.integers(0, 1000))
def test_refilled_queue_never_repeats_in_a_batch_and_stays_fair(
    pool: int, batch_size: int, seed: int
) -> None:
    if batch_size > pool:
        return
    planner = BatchPlanner(
        [frozenset({"en"})] * pool, batch_size, Strategy.X_X_MONO, seed=seed, num_batches=40
    )
    batches = planner.plan_epoch(0)
    check_batches(batches, [frozenset({"en"})] * pool, planner)
    counts = Counter(i for batch in batches for i, _, _ in batch.items)
    assert max(counts.values()) - min(counts.values()) <= 2


def _corpus() -> list[frozenset[str]]:
    """200 examples: all have en, half de, a quarter es."""
    return [
        frozenset({"en"} | ({"de"} if i % 2 else set()) | ({"es"} if i % 4 == 0 else set()))
        for i in range(200)
    ]


@pytest.mark.parametrize("strategy", list(Strategy))
def test_seed_and_epoch_change_the_plan(strategy: Strategy) -> None:
    planner = BatchPlanner(_corpus(), 8, strategy, seed=3)
    assert planner.plan_epoch(0) == planner.plan_epoch(0)
    assert planner.plan_epoch(0) != planner.plan_epoch(1)
    assert planner.plan_epoch(0) != BatchPlanner(_corpus(), 8, strategy, seed=4).plan_epoch(0)


def test_alpha_extremes_give_pure_mono_or_pure_cross() -> None:
    mono = BatchPlanner(_corpus(), 8, Strategy.HYBRID, alpha=1.0).plan_epoch(0)
    cross = BatchPlanner(_corpus(), 8, Strategy.HYBRID, alpha=0.0).plan_epoch(0)
    assert {b.kind for b in mono} == {BatchKind.X_X_MONO}
    assert {b.kind for b in cross} == {BatchKind.X_Y}
    # alpha = 1 needs no second language; alpha = 0 needs no language able to fill a batch alone.
    BatchPlanner([frozenset({"en"})] * 10, 4, Strategy.HYBRID, alpha=1.0)
    BatchPlanner([frozenset({"en", "de"})] * 10 + [frozenset({"en", "sw"})], 4, Strategy.HYBRID, alpha=0.0)


@pytest.mark.parametrize("alpha", [0.2, 0.5, 0.8])
def test_realised_mono_fraction_is_near_alpha(alpha: float) -> None:
    planner = BatchPlanner(_corpus(), 4, Strategy.HYBRID, alpha=alpha, seed=11, num_batches=4000)
    fraction = sum(b.kind is BatchKind.X_X_MONO for b in planner.plan_epoch(0)) / planner.num_batches
    assert abs(fraction - alpha) < 5 * (alpha * (1 - alpha) / planner.num_batches) ** 0.5


def _batch_languages(spec: str) -> Counter[str]:
    corpus = [frozenset({"en"})] * 900 + [frozenset({"en", "de"})] * 100
    planner = BatchPlanner(
        corpus, 4, Strategy.X_X_MONO, weighting=parse_language_weights(spec), num_batches=3000
    )
    return Counter(batch.items[0][1] for batch in planner.plan_epoch(0))


def test_weighting_shifts_the_batch_language_histogram() -> None:
    # en is in 1000 examples, de in 100: uniform 1/2, size 10/11, temperature:2 sqrt(1000)/(sqrt(1000)+10).
    for spec, expected in (("uniform", 0.5), ("size", 1000 / 1100), ("temperature:2", 31.623 / 41.623)):
        share = _batch_languages(spec)["en"] / 3000
        assert abs(share - expected) < 0.03, (spec, share)


def test_weighting_applies_within_an_example_for_pair_strategies() -> None:
    corpus = [frozenset({"en", "de"})] * 50 + [frozenset({"en"})] * 450
    uniform = BatchPlanner(corpus, 10, Strategy.X_X, num_batches=500).plan_epoch(0)
    size = BatchPlanner(corpus, 10, Strategy.X_X, weighting=parse_language_weights("size"), num_batches=500)
    bilingual = range(50)

    def german_share(batches: list[PlannedBatch]) -> float:
        picks = [q for b in batches for i, q, _ in b.items if i in bilingual]
        return picks.count("de") / len(picks)

    assert abs(german_share(uniform) - 0.5) < 0.05
    assert abs(german_share(size.plan_epoch(0)) - 50 / 550) < 0.05
    cross = BatchPlanner(corpus, 10, Strategy.X_Y).plan_epoch(0)
    assert {(q, p) for b in cross for _, q, p in b.items} <= {("en", "de"), ("de", "en")}


@pytest.mark.parametrize(
    ("kwargs", "needles"),
    [
        ({"num_batches": 0}, ["at least 1"]),
        (
            {"example_languages": [frozenset({"en"})] * 20, "strategy": Strategy.X_Y},
            ["only the language(s) en", "add languages"],
        ),
        ({"example_languages": [frozenset({"en"})] * 20}, ["alpha 1"]),
        (
            {
                "example_languages": [frozenset({"en", "de"})] * 3 + [frozenset({"en"})] * 20,
                "strategy": Strategy.X_Y,
            },
            ["only 3 have them", "smaller batch size"],
        ),
        (
            {
                "example_languages": [frozenset({"en", "de"})] * 3 + [frozenset({"en"})] * 20,
                "strategy": Strategy.X_X_MONO,
            },
            ["de (3 examples)", "smaller batch size", "from the languages"],
        ),
        (
            {"example_languages": [frozenset({"en"})] * 3, "strategy": Strategy.X_X},
            ["only 3 training examples"],
        ),
    ],
)
def test_bad_inputs_raise_one_line_user_errors(kwargs: dict, needles: list[str]) -> None:
    arguments = {"example_languages": _corpus(), "batch_size": 4, "strategy": Strategy.HYBRID, **kwargs}
    with pytest.raises(UserError) as info:
        BatchPlanner(**arguments)
    message = str(info.value)
    assert "\n" not in message and "--" not in message  # settings named, flags added by the CLI
    for needle in needles:
        assert needle in message


@pytest.mark.parametrize(
    ("kwargs", "needles"),
    [
        ({"alpha": -0.1}, ["alpha", "[0, 1]"]),
        ({"alpha": 1.5}, ["alpha"]),
        ({"alpha": float("nan")}, ["alpha"]),
        ({"batch_size": 1}, ["batch_size=1", "at least 2"]),
        ({"seed": -1}, ["seed"]),
    ],
)
def test_bad_arguments_raise_plain_errors_that_name_no_flag(kwargs: dict, needles: list[str]) -> None:
    """The settings are checked (with flags) on the training config; the planner asserts its own."""
    with pytest.raises(ValueError) as info:
        BatchPlanner(**{"example_languages": _corpus(), "batch_size": 4, **kwargs})
    assert "--" not in str(info.value)
    for needle in needles:
        assert needle in str(info.value)


def test_parse_strategy() -> None:
    assert parse_strategy(" X-Y ") is Strategy.X_Y
    assert parse_strategy("x-x-mono") is Strategy.X_X_MONO
    assert BatchPlanner(_corpus(), 4, "x-x").strategy is Strategy.X_X
    with pytest.raises(UserError, match="x-x, x-x-mono, x-y, hybrid"):
        parse_strategy("x_z")


def test_sampling_package_imports_no_torch_or_model_code() -> None:
    code = (
        "import sys, hybridir.sampling, hybridir.sampling.planner, hybridir.sampling.weights;"
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'hybridir.models');"
        "sys.exit(', '.join(m for m in heavy if m in sys.modules) or None)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@st.composite
def keyed_corpora(draw: st.DrawFn) -> tuple[list[frozenset[str]], list[frozenset], int]:
    """Examples in paragraphs of 1-5 siblings, some sharing a passage text with another paragraph."""
    batch_size = draw(st.integers(2, 5))
    sizes = draw(st.lists(st.integers(1, 5), min_size=batch_size, max_size=30))
    example_languages, keys = [], []
    for paragraph, size in enumerate(sizes):
        for _ in range(size):
            example_languages.append(draw(language_sets))
            shared = draw(st.sets(st.integers(0, 8), max_size=2))  # identical texts across paragraphs
            keys.append(frozenset({("p", paragraph)} | {("t", text) for text in shared}))
    return example_languages, keys, batch_size


@PROPERTY
@given(
    corpus=keyed_corpora(),
    strategy=st.sampled_from(list(Strategy)),
    alpha=st.sampled_from([0.0, 0.5, 1.0]),
    seed=st.integers(0, 2**32),
)
def test_no_batch_holds_two_examples_that_share_a_paragraph_or_text(
    corpus: tuple[list[frozenset[str]], list[frozenset], int], strategy: Strategy, alpha: float, seed: int
) -> None:
    example_languages, keys, batch_size = corpus
    try:
        planner = BatchPlanner(example_languages, batch_size, strategy, alpha, seed=seed, conflict_keys=keys)
    except UserError as error:
        assert "\n" not in str(error)
        return
    for epoch in (0, 1):
        batches = planner.plan_epoch(epoch)
        check_batches(batches, example_languages, planner)
        for batch in batches:
            seen: set = set()
            for i, _, _ in batch.items:
                assert seen.isdisjoint(keys[i]), "two conflicting examples in one batch"
                seen |= keys[i]


def test_siblings_change_the_capacity_checks() -> None:
    """Ten paragraphs of three siblings fill batches of ten, not of eleven, though 30 examples exist."""
    languages = [frozenset({"en", "de"})] * 30
    keys = [frozenset({("p", i // 3)}) for i in range(30)]
    planner = BatchPlanner(languages, 10, Strategy.HYBRID, conflict_keys=keys, num_batches=50)
    check_batches(planner.plan_epoch(0), languages, planner)
    with pytest.raises(
        UserError, match=r"only 10 training examples that share no paragraph or passage \(of 30\)"
    ):
        BatchPlanner(languages, 11, Strategy.X_X_MONO, conflict_keys=keys)
    languages += [frozenset({"en"})] * 30
    keys += [frozenset({("p", 10 + i)}) for i in range(30)]
    with pytest.raises(UserError, match=r"de \(10 examples that share no paragraph or passage \(of 30\)\)"):
        BatchPlanner(languages, 11, Strategy.X_X_MONO, conflict_keys=keys)


def test_planned_items_name_their_fields_and_stay_tuples() -> None:
    batch = BatchPlanner(_corpus(), 4, Strategy.X_Y, seed=1).plan_epoch(0)[0]
    item = batch.items[0]
    index, question, passage = item
    assert (item.example, item.question_language, item.passage_language) == (index, question, passage)
    assert item == (index, question, passage) and hash(item) == hash((index, question, passage))
    assert question != passage
