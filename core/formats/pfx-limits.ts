// How much a PFX may ask of us, and what we ask of new ones.

/**
 * Above this one derivation is refused: a crafted count could otherwise pin a core for minutes.
 * Ten times the modern profile's count; real files use 2048 to 100,000 (some 600,000).
 */
export const MAX_PFX_ITERATIONS = 1_000_000
/**
 * The most key-derivation rounds one file may cost in total (MAC, every bag, every password
 * form tried), counted before each derivation starts. A modern file costs about 300,000; the
 * cap keeps a file with many bags from adding up to minutes.
 */
export const MAX_PFX_WORK = 4_000_000
/** A PFX holds a key and a few certificates (a few KB); bounding the input bounds every allocation. */
export const MAX_PFX_BYTES = 1024 * 1024

/**
 * The compatible profile keeps OpenSSL 1.x's 2048: older Windows, Android and Korean bank
 * software were written against that and some refuse or crawl on much larger counts.
 */
export const COMPATIBLE_ITERATIONS = 2048
/**
 * The modern profile uses 100,000 (OpenSSL 3 still defaults to 2048, which today costs an
 * attacker almost nothing per guess). A PFX travels by e-mail and USB stick, so its password is
 * exposed to offline guessing; every reader that handles AES PFX files (Windows 10+, macOS,
 * OpenSSL 3) opens 100,000 in well under a second. The MAC uses the same count: a guesser
 * attacks whichever of MAC and encryption is cheaper, so a weaker MAC would waste the PBKDF2.
 */
export const MODERN_ITERATIONS = 100_000
