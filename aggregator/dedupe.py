"""Near-duplicate detection: MinHash over word shingles with LSH (datasketch). Pure, no I/O.

A repost of a press release differs from the original by a headline, a paragraph,
boilerplate around it or a shortened ending. Word 3-shingles keep enough order to tell a
copied statement from two texts on the same subject; MinHash estimates their overlap in
constant space, and LSH finds candidates without comparing every pair. Signatures are
plain arrays, so the storage layer keeps them and new items are matched against stored
ones without recomputing them.

Two measures are combined: Jaccard similarity (for copies with edits) and containment of
the shorter text in the longer (for a statement shortened to half its length), each
estimated from the signatures.

Speed: datasketch's `MinHash.update_batch` calls the hash function once per shingle from
Python and builds a MinHash object per text, which made signatures the largest part of
clustering a crawl. `signature_of` hashes a text's shingles with MurmurHash3 in one pass
and applies datasketch's own permutations (its `affine32` scheme: the MurmurHash3 finaliser,
then a * h + b in 32 bits) to all of them at once with numpy: the values are bit for bit
those of datasketch's MinHash (tests/aggregator/test_dedupe.py), so stored signatures stay
valid, several times faster.
"""

from __future__ import annotations

import re
import unicodedata

import mmh3
import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE_WORDS = 3
SEED = 7
#: datasketch's permutation scheme, named so that stored signatures stay comparable across upgrades.
SCHEME = "affine32"
_WORD = re.compile(r"\w+", re.UNICODE)
#: datasketch's permutations for SEED and SCHEME: (a, b), each NUM_PERM uint32.
_A, _B = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
#: The MurmurHash3 32-bit finaliser, which datasketch's affine32 scheme applies to each input hash.
_FMIX = tuple(np.uint32(c) for c in (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16))
_EMPTY = np.full(NUM_PERM, 2**32 - 1, dtype=np.uint64)  # datasketch's value for a text without shingles


def tokens(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text or "").casefold())


def _shingles_of(words: list[str], size: int = SHINGLE_WORDS) -> set[str]:
    if len(words) < size:
        return {" ".join(words)} if words else set()
    if size == SHINGLE_WORDS:
        return set(map(" ".join, zip(words, words[1:], words[2:], strict=False)))
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    return _shingles_of(tokens(text), size)


def _hash32(data: bytes | str) -> int:
    """MurmurHash3 for the shingles: stable across processes like datasketch's default SHA-1, and
    several times faster; signatures are stored, so this choice is fixed with the schema."""
    return mmh3.hash(data, signed=False)


def signature_of(text: str) -> tuple[np.ndarray, int]:
    """(MinHash values as NUM_PERM uint64, distinct shingle count) of a text: datasketch's values.

    mmh3 hashes a str as its UTF-8 bytes, which is what datasketch is given; the finaliser and
    the permutations run on all shingles at once, in uint32 arithmetic that wraps as datasketch's.
    """
    found = shingles(text)
    if not found:
        return _EMPTY.copy(), 0
    # signed, as mmh3 returns by default, read as unsigned: the same bits, without a keyword per call
    hashed = np.fromiter(map(mmh3.hash, found), dtype=np.int32, count=len(found)).view(np.uint32)
    s1, m1, s2, m2, s3 = _FMIX
    hashed ^= hashed >> s1
    hashed *= m1
    hashed ^= hashed >> s2
    hashed *= m2
    hashed ^= hashed >> s3
    values = (hashed[:, None] * _A + _B).min(axis=0)
    return values.astype(np.uint64), len(found)


def signature(text: str, num_perm: int = NUM_PERM) -> MinHash:
    """A datasketch MinHash of the text (for callers that want the object; clustering uses arrays)."""
    if num_perm != NUM_PERM:
        minhash = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME, hashfunc=_hash32)
        minhash.update_batch([s.encode("utf-8") for s in shingles(text)])
        return minhash
    return LeanMinHash(seed=SEED, scheme=SCHEME, hashvalues=signature_of(text)[0])


def to_bytes(values) -> bytes:
    """A signature as stored: NUM_PERM uint64 (a datasketch MinHash or an array of its values)."""
    return np.asarray(getattr(values, "hashvalues", values)).astype(np.uint64).tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    """A stored signature's values (read-only uint64 array, no copy)."""
    return np.frombuffer(blob, dtype=np.uint64)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal values (datasketch's estimate)."""
    return float(np.count_nonzero(a == b)) / len(a)


#: LSH bands: found by datasketch for the candidate threshold, so that a shortened repost
#: (low Jaccard, high containment) still shares a band with its original.
CANDIDATE_THRESHOLD = 0.3
_BANDS = MinHashLSH(threshold=CANDIDATE_THRESHOLD, num_perm=NUM_PERM)
BANDS, ROWS = _BANDS.b, _BANDS.r
#: Odd 64-bit constants (splitmix64's) that mix a band's values into one key.
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_BAND_SEEDS = (np.arange(1, BANDS + 1, dtype=np.uint64) * _MIX[0])[None, :]


def band_key_matrix(values: np.ndarray) -> np.ndarray:
    """One uint64 key per LSH band for each row of signatures (n x NUM_PERM): (n x BANDS).

    Two rows share a band's key when the band's ROWS values are equal (and, for other values,
    with a chance of about 2**-64: a collision only adds a candidate that the signatures then
    reject). datasketch's MinHashLSH keeps its bands in memory, Redis or Cassandra; the keys
    are not stored here but computed for a crawl's window at once (`aggregator.clustering`),
    so they are a pure function of the signature, vectorised over all rows.
    """
    rows = np.asarray(values, dtype=np.uint64)[:, : BANDS * ROWS].reshape(len(values), BANDS, ROWS)
    with np.errstate(over="ignore"):
        keys = np.broadcast_to(_BAND_SEEDS, (len(values), BANDS)).copy()
        for column in range(ROWS):
            keys ^= rows[:, :, column]
            keys *= _MIX[1]
            keys ^= keys >> np.uint64(31)
        keys *= _MIX[2]
        keys ^= keys >> np.uint64(29)
    return keys


def band_keys(values) -> list[int]:
    """The LSH band keys of one signature (see `band_key_matrix`)."""
    row = np.asarray(getattr(values, "hashvalues", values), dtype=np.uint64)[None, :]
    return band_key_matrix(row)[0].tolist()


#: Shingles a text needs before a copy can be told from a coincidence.
MIN_SHINGLES = 25


def is_near_duplicate(
    a, size_a: int, b, size_b: int, threshold: float, containment_threshold: float, min_shingles: int = MIN_SHINGLES
) -> tuple[bool, float]:
    """Whether two signatures are one statement, reposted: (same?, Jaccard). Texts under
    `min_shingles` are too short to tell a copy from a coincidence."""
    if size_a < min_shingles:
        return False, 0.0
    similarity = jaccard(a, b)
    return near_by_similarity(similarity, size_a, size_b, threshold, containment_threshold), similarity


def jaccards(a: np.ndarray, others: np.ndarray) -> np.ndarray:
    """`jaccard(a, row)` for each row of `others` (n x NUM_PERM), in one pass: the same floats."""
    return np.count_nonzero(others == a, axis=1) / others.shape[1]


def near_by_similarity(
    similarity: float, size_a: int, size_b: int, threshold: float, containment_threshold: float
) -> bool:
    """`is_near_duplicate`'s rule for a pair whose Jaccard is known (and `size_a` long enough)."""
    contained = _containment(similarity, size_a, size_b)
    smaller, larger = sorted((size_a, size_b))
    return similarity >= threshold or (contained >= containment_threshold and smaller >= 0.4 * larger)


def near_mask(
    similarities: np.ndarray, size_a: int, sizes: np.ndarray, threshold: float, containment_threshold: float
) -> np.ndarray:
    """`near_by_similarity` for one item against many (their Jaccards and shingle counts), in numpy:
    a Python call per band neighbour (about fifty an item on the crawl benchmark's text) cost more
    than the Jaccards.
    The same arithmetic in the same order, so the same answers (tests/aggregator/test_dedupe.py)."""
    a, b = float(size_a), sizes.astype(np.float64)
    smaller, larger = np.minimum(a, b), np.maximum(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        contained = np.minimum(1.0, similarities * (a + b) / (1 + similarities) / smaller)
    contained = np.where(smaller == 0, 0.0, contained)
    return (similarities >= threshold) | ((contained >= containment_threshold) & (smaller >= 0.4 * larger))


#: Up to this many neighbours the rule runs in Python: numpy's dozen operations on a few
#: values cost 17 us a call, more than the rule for each of them.
FEW_NEIGHBOURS = 12


def near_rows(
    similarities: np.ndarray, size_a: int, sizes: list[int], threshold: float, containment_threshold: float
) -> list[int]:
    """The rows of `near_mask` that hold (the same answers), in order."""
    if len(sizes) > FEW_NEIGHBOURS:
        mask = near_mask(similarities, size_a, np.asarray(sizes, dtype=np.int64), threshold, containment_threshold)
        return np.flatnonzero(mask).tolist()
    return [
        row
        for row, (similarity, size_b) in enumerate(zip(similarities.tolist(), sizes, strict=True))
        if near_by_similarity(similarity, size_a, size_b, threshold, containment_threshold)
    ]


def _containment(similarity: float, size_a: int, size_b: int) -> float:
    if not size_a or not size_b:
        return 0.0
    intersection = similarity * (size_a + size_b) / (1 + similarity)
    return min(1.0, intersection / min(size_a, size_b))


def containment(a, b, size_a: int, size_b: int) -> float:
    """Estimated share of the smaller shingle set found in the larger, from Jaccard and the set sizes."""
    return _containment(jaccard(a, b), size_a, size_b)
