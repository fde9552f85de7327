//! br (RFC 7932), through brotli-decompressor's streaming state.

use std::fmt;

use brotli_decompressor::{BrotliDecompressStream, BrotliResult, BrotliState, StandardAlloc};

use super::{Coding, DecodeError, Step};

/// A br decoder.
pub(super) struct Brotli {
    /// Boxed: the state is a few kilobytes, allocated once.
    state: Box<BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>>,
    /// The stream has ended and all output was handed out.
    ended: bool,
}

impl fmt::Debug for Brotli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Brotli")
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl Brotli {
    pub(super) fn new() -> Brotli {
        // Strict: the standard window sizes only (at most 16 MiB).
        let state = BrotliState::new_strict(
            StandardAlloc::default(),
            StandardAlloc::default(),
            StandardAlloc::default(),
        );
        Brotli {
            state: Box::new(state),
            ended: false,
        }
    }

    /// Whether the stream has ended and all its output was handed out.
    pub(super) fn is_done(&self) -> bool {
        self.ended
    }

    /// Decodes from `input` into `output`, stopping at the first output.
    pub(super) fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<Step, DecodeError> {
        if self.ended {
            return match input {
                [] => Ok(Step::default()),
                _ => Err(DecodeError::trailing_data(Coding::Brotli)),
            };
        }
        let (mut available_in, mut input_offset) = (input.len(), 0);
        let (mut available_out, mut output_offset) = (output.len(), 0);
        let mut total_out = 0;
        let result = BrotliDecompressStream(
            &mut available_in,
            &mut input_offset,
            input,
            &mut available_out,
            &mut output_offset,
            output,
            &mut total_out,
            &mut self.state,
        );
        match result {
            BrotliResult::ResultFailure => {
                Err(DecodeError::corrupt(Coding::Brotli, "invalid brotli data"))
            }
            BrotliResult::ResultSuccess => {
                self.ended = true;
                Ok(Step {
                    consumed: input_offset,
                    produced: output_offset,
                })
            }
            BrotliResult::NeedsMoreInput | BrotliResult::NeedsMoreOutput => Ok(Step {
                consumed: input_offset,
                produced: output_offset,
            }),
        }
    }
}
