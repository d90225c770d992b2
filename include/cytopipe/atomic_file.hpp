#pragma once
// Writing output files so that a reader never sees half of one: write to a temporary file in the
// same folder, flush, then rename over the target. Standard library only (lives in libfcs).
#include <cstddef>
#include <filesystem>
#include <functional>
#include <ostream>
#include <span>
#include <string_view>

namespace cytopipe {

// Calls `write` with a stream on a temporary file, then renames it to `target`. If `write` throws
// or the stream fails, the temporary file is removed and an Error naming `target` is thrown.
void write_file_atomically(const std::filesystem::path& target,
                           const std::function<void(std::ostream&)>& write);
void write_file_atomically(const std::filesystem::path& target, std::span<const std::byte> bytes);
void write_file_atomically(const std::filesystem::path& target, std::string_view text);

}  // namespace cytopipe
