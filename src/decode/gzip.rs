//! gzip (RFC 1952): members of header, raw deflate data, CRC-32 and length.

use flate2::{Crc, Decompress};

use super::deflate::inflate;
use super::{Coding, DecodeError, Step};

/// A gzip decoder: any number of members, each checked.
#[derive(Debug)]
pub(super) struct Gzip {
    state: GzipState,
    /// The raw deflate decoder, reset for each member.
    inflate: Decompress,
    /// CRC-32 and length (mod 2^32) of the current member's output.
    crc: Crc,
}

#[derive(Debug)]
enum GzipState {
    /// Reading a member header.
    Header(GzipHeader),
    /// Inflating a member's data.
    Data,
    /// Reading the 8-byte trailer: `have` bytes of it are in `bytes`.
    Trailer { bytes: [u8; 8], have: usize },
    /// A member has ended, checked; what follows must be another member or
    /// nothing.
    MemberEnd,
}

impl Gzip {
    pub(super) fn new() -> Gzip {
        Gzip {
            state: GzipState::Header(GzipHeader::new(false)),
            inflate: Decompress::new(false),
            crc: Crc::new(),
        }
    }

    /// Whether the last member has ended, checked (more may follow).
    pub(super) fn is_done(&self) -> bool {
        matches!(self.state, GzipState::MemberEnd)
    }

    /// Decodes from `input` into `output`, stopping at the first output.
    pub(super) fn decode(
        &mut self,
        mut input: &[u8],
        output: &mut [u8],
    ) -> Result<Step, DecodeError> {
        let mut consumed = 0;
        loop {
            match &mut self.state {
                GzipState::Header(header) => {
                    if input.is_empty() {
                        break;
                    }
                    let (used, complete) = header.feed(input)?;
                    consumed += used;
                    input = &input[used..];
                    if complete {
                        self.state = GzipState::Data;
                    }
                }
                GzipState::Data => {
                    let (used, made, ended) =
                        inflate(&mut self.inflate, Coding::Gzip, input, output)?;
                    consumed += used;
                    input = &input[used..];
                    self.crc.update(&output[..made]);
                    if ended {
                        self.state = GzipState::Trailer {
                            bytes: [0; 8],
                            have: 0,
                        };
                    }
                    if made > 0 {
                        return Ok(Step {
                            consumed,
                            produced: made,
                        });
                    }
                    if !ended {
                        break;
                    }
                }
                GzipState::Trailer { bytes, have } => {
                    let n = input.len().min(8 - *have);
                    bytes[*have..*have + n].copy_from_slice(&input[..n]);
                    *have += n;
                    consumed += n;
                    input = &input[n..];
                    if *have < 8 {
                        break;
                    }
                    let crc = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                    let size = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
                    if crc != self.crc.sum() {
                        return Err(DecodeError::corrupt(Coding::Gzip, "crc-32 mismatch"));
                    }
                    if size != self.crc.amount() {
                        return Err(DecodeError::corrupt(Coding::Gzip, "length mismatch"));
                    }
                    self.state = GzipState::MemberEnd;
                }
                GzipState::MemberEnd => {
                    if input.is_empty() {
                        break;
                    }
                    // Another member, or trailing data (told apart by the
                    // header parser, which checks the magic bytes).
                    self.state = GzipState::Header(GzipHeader::new(true));
                    self.inflate.reset(false);
                    self.crc.reset();
                }
            }
        }
        Ok(Step {
            consumed,
            produced: 0,
        })
    }
}

/// Header flag bits (RFC 1952 §2.3.1).
pub(super) const FHCRC: u8 = 0x02;
pub(super) const FEXTRA: u8 = 0x04;
pub(super) const FNAME: u8 = 0x08;
pub(super) const FCOMMENT: u8 = 0x10;
const FRESERVED: u8 = 0xe0;

/// A gzip member header, parsed a byte at a time (it is small, and its
/// optional fields are skipped, never stored).
#[derive(Debug)]
struct GzipHeader {
    field: HeaderField,
    /// Whether a member came before (then bad magic bytes are trailing data).
    later_member: bool,
    /// The fixed 10-byte part; `bytes[..have]` read so far. Reused for the
    /// 2-byte extra length and header CRC.
    bytes: [u8; 10],
    have: usize,
    /// FLG, once read.
    flags: u8,
    /// Bytes of the extra field still to skip.
    extra_left: u16,
    /// CRC-32 of the header bytes before the header CRC field.
    crc: Crc,
}

/// The header field being read, in the order RFC 1952 puts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum HeaderField {
    Fixed,
    ExtraLength,
    Extra,
    Name,
    Comment,
    HeaderCrc,
    Done,
}

impl GzipHeader {
    fn new(later_member: bool) -> GzipHeader {
        GzipHeader {
            field: HeaderField::Fixed,
            later_member,
            bytes: [0; 10],
            have: 0,
            flags: 0,
            extra_left: 0,
            crc: Crc::new(),
        }
    }

    /// The first optional field after `field` that the flags announce.
    fn next_field(&self, field: HeaderField) -> HeaderField {
        let present = [
            (HeaderField::ExtraLength, FEXTRA),
            (HeaderField::Name, FNAME),
            (HeaderField::Comment, FCOMMENT),
            (HeaderField::HeaderCrc, FHCRC),
        ];
        present
            .into_iter()
            .find(|&(next, flag)| next > field && self.flags & flag != 0)
            .map_or(HeaderField::Done, |(next, _)| next)
    }

    /// Reads header bytes from `input`: (bytes used, header complete).
    fn feed(&mut self, input: &[u8]) -> Result<(usize, bool), DecodeError> {
        for (used, &byte) in input.iter().enumerate() {
            if self.field != HeaderField::HeaderCrc {
                self.crc.update(&[byte]);
            }
            match self.field {
                HeaderField::Fixed => {
                    self.bytes[self.have] = byte;
                    self.have += 1;
                    self.check_fixed(byte)?;
                    if self.have == 10 {
                        self.flags = self.bytes[3];
                        self.have = 0;
                        self.field = self.next_field(HeaderField::Fixed);
                    }
                }
                HeaderField::ExtraLength => {
                    self.bytes[self.have] = byte;
                    self.have += 1;
                    if self.have == 2 {
                        self.have = 0;
                        self.extra_left = u16::from_le_bytes([self.bytes[0], self.bytes[1]]);
                        self.field = match self.extra_left {
                            0 => self.next_field(HeaderField::Extra),
                            _ => HeaderField::Extra,
                        };
                    }
                }
                HeaderField::Extra => {
                    self.extra_left -= 1;
                    if self.extra_left == 0 {
                        self.field = self.next_field(HeaderField::Extra);
                    }
                }
                HeaderField::Name | HeaderField::Comment => {
                    if byte == 0 {
                        self.field = self.next_field(self.field);
                    }
                }
                HeaderField::HeaderCrc => {
                    self.bytes[self.have] = byte;
                    self.have += 1;
                    if self.have == 2 {
                        let expected = u16::from_le_bytes([self.bytes[0], self.bytes[1]]);
                        if u32::from(expected) != self.crc.sum() & 0xffff {
                            return Err(DecodeError::corrupt(Coding::Gzip, "header crc mismatch"));
                        }
                        self.field = HeaderField::Done;
                    }
                }
                HeaderField::Done => unreachable!("a complete header is not fed"),
            }
            if self.field == HeaderField::Done {
                return Ok((used + 1, true));
            }
        }
        Ok((input.len(), false))
    }

    /// Checks byte `self.have` (1-based) of the fixed part as it arrives.
    fn check_fixed(&self, byte: u8) -> Result<(), DecodeError> {
        let problem = match (self.have, byte) {
            (1, 0x1f) | (2, 0x8b) => return Ok(()),
            (1 | 2, _) if self.later_member => {
                return Err(DecodeError::trailing_data(Coding::Gzip))
            }
            (1 | 2, _) => "not a gzip stream (bad magic bytes)",
            (3, 8) => return Ok(()),
            (3, _) => "unknown compression method",
            (4, flags) if flags & FRESERVED != 0 => "reserved header flags set",
            _ => return Ok(()),
        };
        Err(DecodeError::corrupt(Coding::Gzip, problem))
    }
}
