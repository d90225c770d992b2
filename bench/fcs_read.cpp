// Reading speed of libfcs against a plain memcpy of the same bytes, in the same run.
// Generates its own files in a temporary folder: 1,000,000 events x 16 channels as float32
// (64 MB of DATA) and as 16-bit integers with $PnR 1024 (mask to 10 bits, 32 MB of DATA).
// Counters: bytes_per_second (of the file), x_memcpy = time / time of memcpy of the file's bytes.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/writer.hpp"

namespace {

constexpr std::size_t events = 1'000'000;
constexpr std::size_t channels = 16;

std::filesystem::path bench_dir() {
  static const auto dir = [] {
    auto d = std::filesystem::temp_directory_path() / "cytopipe_bench_fcs_read";
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(std::filesystem::temp_directory_path() / "cytopipe_bench_fcs_read", ignored);
    });
    return d;
  }();
  return dir;
}

std::vector<char> load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Float32 file written by our writer from random values.
const std::filesystem::path& float_file() {
  static const auto path = [] {
    cytopipe::fcs::Sample s;
    s.source = "bench";
    s.version = "FCS3.1";
    for (std::size_t c = 0; c < channels; ++c) {
      cytopipe::fcs::Channel ch;
      ch.index = static_cast<int>(c + 1);
      ch.name = "CH" + std::to_string(c + 1);
      ch.bits = 32;
      ch.range = 262144;
      s.channels.push_back(ch);
    }
    s.events = cytopipe::fcs::EventMatrix(events, channels);
    std::mt19937 random(7);
    std::uniform_real_distribution<float> value(-100.f, 262000.f);
    for (std::size_t i = 0; i < events * channels; ++i) s.events.data()[i] = value(random);
    auto p = bench_dir() / "float32_1M_x16.fcs";
    cytopipe::fcs::write_fcs(p, s);
    return p;
  }();
  return path;
}

// 16-bit integer file built by hand: $PnR 1024 so the reader masks to 10 bits; upper bits set.
const std::filesystem::path& int_file() {
  static const auto path = [] {
    std::string text = "|$BYTEORD|1,2,3,4|$DATATYPE|I|$MODE|L|$PAR|16|$TOT|1000000|$NEXTDATA|0|";
    for (std::size_t c = 1; c <= channels; ++c) {
      const std::string p = "$P" + std::to_string(c);
      text += p + "N|CH" + std::to_string(c) + "|" + p + "B|16|" + p + "R|1024|" + p + "E|0,0|";
    }
    const std::size_t data_bytes = events * channels * 2;
    const std::size_t fixed = text.size() + std::string("$BEGINDATA|0000000000|$ENDDATA|0000000000|").size();
    const std::size_t begin = 58 + fixed, end = begin + data_bytes - 1;
    auto ten = [](std::size_t v) {
      std::string s = std::to_string(v);
      return std::string(10 - s.size(), '0') + s;
    };
    text += "$BEGINDATA|" + ten(begin) + "|$ENDDATA|" + ten(end) + "|";
    auto field = [](std::size_t v) {
      std::string s = std::to_string(v);
      return std::string(8 - s.size(), ' ') + s;
    };
    std::string header = "FCS3.1    " + field(58) + field(58 + text.size() - 1) + field(begin) +
                         field(end) + field(0) + field(0);
    std::vector<std::uint16_t> data(events * channels);
    std::mt19937 random(11);
    for (auto& v : data) v = static_cast<std::uint16_t>(random());
    auto p = bench_dir() / "int16_mask_1M_x16.fcs";
    std::ofstream out(p, std::ios::binary);
    out << header << text;
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data_bytes));
    return p;
  }();
  return path;
}

// Best-of-5 time of a memcpy of `bytes` into a buffer already touched.
double memcpy_seconds(const std::vector<char>& bytes) {
  static std::vector<char> target;
  target.assign(bytes.size(), 1);
  double best = 1e9;
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    std::memcpy(target.data(), bytes.data(), bytes.size());
    benchmark::DoNotOptimize(target.data());
    benchmark::ClobberMemory();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

template <typename Read>
void run(benchmark::State& state, const std::filesystem::path& file, Read read) {
  const auto bytes = load(file);
  const double baseline = memcpy_seconds(bytes);
  double total = 0;
  std::size_t iterations = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto sample = read(file, bytes);
    benchmark::DoNotOptimize(sample.events.data());
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++iterations;
    if (sample.event_count() != events) state.SkipWithError("wrong event count");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(iterations * bytes.size()));
  state.counters["memcpy_GBps"] = bytes.size() / baseline / 1e9;
  state.counters["x_memcpy"] = total / static_cast<double>(iterations) / baseline;
}

void from_file(benchmark::State& state, const std::filesystem::path& (*file)()) {
  run(state, file(), [](const std::filesystem::path& p, const std::vector<char>&) {
    return cytopipe::fcs::read_fcs(p);
  });
}

void from_memory(benchmark::State& state, const std::filesystem::path& (*file)()) {
  run(state, file(), [](const std::filesystem::path&, const std::vector<char>& bytes) {
    return cytopipe::fcs::read_fcs(std::as_bytes(std::span(bytes)), "memory");
  });
}

void Memcpy(benchmark::State& state, const std::filesystem::path& (*file)()) {
  const auto bytes = load(file());
  std::vector<char> target(bytes.size(), 1);
  for (auto _ : state) {
    std::memcpy(target.data(), bytes.data(), bytes.size());
    benchmark::DoNotOptimize(target.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

BENCHMARK_CAPTURE(Memcpy, float32_1M_x16, float_file)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(from_file, float32_1M_x16, float_file)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(from_memory, float32_1M_x16, float_file)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Memcpy, int16_mask_1M_x16, int_file)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(from_file, int16_mask_1M_x16, int_file)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(from_memory, int16_mask_1M_x16, int_file)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
