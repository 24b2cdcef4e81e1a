//! Bounds on what a file may claim, so that hostile headers cannot make us allocate or loop
//! without end.

/// Highest source sample rate accepted (Hz). 384 kHz is the top of real studio gear.
pub const MAX_SAMPLE_RATE: u32 = 384_000;
/// Lowest source sample rate accepted (Hz): below this nothing intelligible is left.
pub const MIN_SAMPLE_RATE: u32 = 1_000;
/// Most channels accepted. Surround recordings have 8; ambisonics up to 16.
pub const MAX_CHANNELS: usize = 32;
/// Most frames one decoded packet may hold (about 2.7 s at 384 kHz). Real codecs stay below
/// 65,536; more means a lying header.
pub const MAX_PACKET_FRAMES: usize = 1 << 20;
/// Packets in a row that may fail to decode before the stream is declared corrupt. A few bad
/// packets in a long recording are worth skipping (a glitch of some milliseconds); a run this
/// long is damage, or data that only looks like audio.
pub const MAX_CONSECUTIVE_BAD_PACKETS: u32 = 32;
/// Times a stream may change its codec parameters (chained Ogg, parameter switches) before we
/// stop believing it.
pub const MAX_STREAM_RESETS: u32 = 1_000;
