//! deflate: a zlib stream (RFC 1950) or raw deflate (RFC 1951), told apart
//! by the first two bytes.
//!
//! The test cannot be perfect: a raw stream could start, by chance, with
//! two bytes that form a valid zlib header (only a non-final stored block
//! whose length fits can). It is then decoded as zlib and fails as corrupt
//! (its Adler-32 cannot match), never a wrong count. Browsers share that
//! ambiguity.

use flate2::{Decompress, FlushDecompress, Status};

use super::{Coding, DecodeError, Step};

/// A deflate decoder: zlib-wrapped or raw, decided by the first two bytes.
#[derive(Debug)]
pub(super) enum Deflate {
    /// Before the first two bytes; `first` holds the first if it came alone.
    Sniff { first: Option<u8> },
    /// Inflating; `ended` once the stream's end (and, for zlib, its
    /// Adler-32) has been read and all output handed out.
    Inflate { inflate: Decompress, ended: bool },
}

/// The zlib header flag announcing a preset dictionary (RFC 1950 §2.2).
const FDICT: u8 = 0x20;

/// Whether two bytes form a zlib header (RFC 1950 §2.2): method 8, a window
/// of at most 32 KiB, and a check value making the pair a multiple of 31.
pub(super) fn is_zlib_header(cmf: u8, flg: u8) -> bool {
    cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
}

impl Deflate {
    pub(super) fn new() -> Deflate {
        Deflate::Sniff { first: None }
    }

    /// Whether the stream has ended and all its output was handed out.
    pub(super) fn is_done(&self) -> bool {
        matches!(self, Deflate::Inflate { ended: true, .. })
    }

    /// Decodes from `input` into `output`, stopping at the first output.
    pub(super) fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<Step, DecodeError> {
        match self {
            Deflate::Sniff { first } => {
                let (cmf, flg, earlier) = match (*first, input) {
                    (_, []) => return Ok(Step::default()),
                    (None, [only]) => {
                        *first = Some(*only);
                        return Ok(Step {
                            consumed: 1,
                            produced: 0,
                        });
                    }
                    (None, [cmf, flg, ..]) => (*cmf, *flg, None),
                    (Some(cmf), [flg, ..]) => (cmf, *flg, Some(cmf)),
                };
                let zlib = is_zlib_header(cmf, flg);
                if zlib && flg & FDICT != 0 {
                    // HTTP has no way to agree on a preset dictionary.
                    return Err(DecodeError::corrupt(
                        Coding::Deflate,
                        "the zlib stream needs a preset dictionary",
                    ));
                }
                let mut decoder = Decompress::new(zlib);
                if let Some(byte) = earlier {
                    // The byte held back goes to the decoder first; one
                    // header byte cannot produce output.
                    let (used, made, _) = inflate(&mut decoder, Coding::Deflate, &[byte], output)?;
                    if (used, made) != (1, 0) {
                        return Err(DecodeError::corrupt(Coding::Deflate, "invalid header"));
                    }
                }
                *self = Deflate::Inflate {
                    inflate: decoder,
                    ended: false,
                };
                self.decode(input, output)
            }
            Deflate::Inflate { ended: true, .. } if !input.is_empty() => {
                Err(DecodeError::trailing_data(Coding::Deflate))
            }
            Deflate::Inflate { ended: true, .. } => Ok(Step::default()),
            Deflate::Inflate {
                inflate: decoder,
                ended,
            } => {
                let (consumed, produced, end) = inflate(decoder, Coding::Deflate, input, output)?;
                *ended = end;
                Ok(Step { consumed, produced })
            }
        }
    }
}

/// Runs `inflate` on `input` into `output`: (input used, output made, the
/// deflate stream's end reached).
pub(super) fn inflate(
    inflate: &mut Decompress,
    coding: Coding,
    input: &[u8],
    output: &mut [u8],
) -> Result<(usize, usize, bool), DecodeError> {
    let (in_before, out_before) = (inflate.total_in(), inflate.total_out());
    let status = inflate
        .decompress(input, output, FlushDecompress::None)
        .map_err(|_| DecodeError::corrupt(coding, "invalid deflate data"))?;
    let used = (inflate.total_in() - in_before) as usize;
    let made = (inflate.total_out() - out_before) as usize;
    Ok((used, made, status == Status::StreamEnd))
}
