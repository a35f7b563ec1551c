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
"""

from __future__ import annotations

import hashlib
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


def tokens(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text or "").casefold())


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    words = tokens(text)
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def _hash32(data: bytes) -> int:
    """MurmurHash3 for the shingles: stable across processes like datasketch's default SHA-1, and
    several times faster; signatures are stored, so this choice is fixed with the schema."""
    return mmh3.hash(data, signed=False)


def signature(text: str, num_perm: int = NUM_PERM) -> MinHash:
    minhash = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME, hashfunc=_hash32)
    minhash.update_batch([s.encode("utf-8") for s in shingles(text)])
    return minhash


def to_bytes(minhash: MinHash) -> bytes:
    return minhash.hashvalues.astype(np.uint64).tobytes()


def from_bytes(blob: bytes, num_perm: int = NUM_PERM) -> LeanMinHash:
    """A stored signature, read back without rebuilding permutations (LeanMinHash keeps only the values)."""
    return LeanMinHash(seed=SEED, scheme=SCHEME, hashvalues=np.frombuffer(blob, dtype=np.uint64))


def signatures(shingle_sets: list[set[str]], num_perm: int = NUM_PERM) -> list[MinHash]:
    """Signatures of many texts' shingles at once (datasketch's bulk mode shares the permutations)."""
    return MinHash.bulk(
        [[s.encode("utf-8") for s in shingle_set] for shingle_set in shingle_sets],
        num_perm=num_perm,
        seed=SEED,
        scheme=SCHEME,
        hashfunc=_hash32,
    )


#: LSH bands: found by datasketch for the candidate threshold, so that a shortened repost
#: (low Jaccard, high containment) still shares a band with its original.
CANDIDATE_THRESHOLD = 0.3
_BANDS = MinHashLSH(threshold=CANDIDATE_THRESHOLD, num_perm=NUM_PERM)
BANDS, ROWS = _BANDS.b, _BANDS.r


def band_keys(minhash) -> list[int]:
    """One signed 64-bit key per LSH band, for an SQL index (datasketch's own LSH storage is
    in memory, Redis or Cassandra; SQLite keeps these keys instead, so a crawl process never
    rebuilds an index of the stored items)."""
    values = np.asarray(minhash.hashvalues, dtype=np.uint64)
    keys = []
    for band in range(BANDS):
        digest = hashlib.blake2b(
            values[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8, person=band.to_bytes(2, "big")
        ).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return keys


def is_near_duplicate(
    a, size_a: int, b, size_b: int, threshold: float, containment_threshold: float, min_shingles: int = 25
) -> tuple[bool, float]:
    """Whether two signatures are one statement, reposted: (same?, Jaccard). Texts under
    `min_shingles` are too short to tell a copy from a coincidence."""
    if size_a < min_shingles:
        return False, 0.0
    jaccard = a.jaccard(b)
    contained = containment(a, b, size_a, size_b)
    smaller, larger = sorted((size_a, size_b))
    return (jaccard >= threshold or (contained >= containment_threshold and smaller >= 0.4 * larger)), jaccard


def containment(a: MinHash, b: MinHash, size_a: int, size_b: int) -> float:
    """Estimated share of the smaller shingle set found in the larger, from Jaccard and the set sizes."""
    jaccard = a.jaccard(b)
    if not size_a or not size_b:
        return 0.0
    intersection = jaccard * (size_a + size_b) / (1 + jaccard)
    return min(1.0, intersection / min(size_a, size_b))
