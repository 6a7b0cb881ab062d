//! A reader over the fuzz input that hands out at most `chunk` bytes per read (the chunk size
//! taken from the input's first byte), so chunk boundaries fall everywhere: inside strings,
//! escapes and UTF-8 sequences.

pub struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl<'a> Chunked<'a> {
    /// The reader over `data` after its first byte, which gives the chunk size (1–255).
    pub fn from_input(data: &'a [u8]) -> Self {
        match data.split_first() {
            Some((c, rest)) => Chunked {
                data: rest,
                chunk: usize::from(*c).max(1),
            },
            None => Chunked { data, chunk: 1 },
        }
    }
}

impl std::io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
