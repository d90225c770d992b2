#pragma once
// One data set's HEADER and all its keywords (primary TEXT, supplemental TEXT, ANALYSIS), and
// the $NEXTDATA chain of data sets in a file.
#include <cstdint>
#include <string>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "fcs/byte_source.hpp"
#include "fcs/text_segment.hpp"

namespace cytopipe::fcs::detail {

struct DataSetText {
  std::uint64_t base = 0;  // absolute offset of this data set's HEADER
  Header header;
  Keywords keywords;
  std::vector<std::string> notices;
  std::string encoding = "UTF-8";  // of the keywords as found: "UTF-8", or "Latin-1" (decoded to UTF-8)
};

// Reads the HEADER at `base` and every keyword segment of that data set.
DataSetText read_dataset_text(const ByteSource& source, std::uint64_t base, const std::string& file);

// Walks the $NEXTDATA chain from the first data set (already read as `first`). A later data set
// that cannot be read ends the chain with a notice.
std::vector<DataSetInfo> dataset_chain(const ByteSource& source, const DataSetText& first,
                                       const std::string& file, std::vector<std::string>& notices);

}  // namespace cytopipe::fcs::detail
