// Reading speed of libfcs against a plain memcpy of the same bytes, in the same run.
// Generates its own files in a temporary folder: 1,000,000 events x 16 channels as float32
// (64 MB of DATA) and as 16-bit integers with $PnR 1024 (mask to 10 bits, 32 MB of DATA).
//
// Before the reads, the same run copies the file's bytes (already in memory) with memcpy three
// ways, 9 times each:
//   warm       into one buffer allocated and touched before the loop (pure bandwidth);
//   fresh      into a new anonymous mapping of 4 KiB pages each time (a page fault per page, as
//              any large fresh allocation pays);
//   fresh_huge into a new 2 MiB-aligned MADV_HUGEPAGE mapping each time (what the reader does
//              for its event matrix: it too must get fresh memory from the kernel).
// from_file and from_memory read repeatedly, as a batch does: the library reuses the huge-page
// mappings it released (steady state). from_file_cold returns them to the kernel before each
// read (the first read of a process).
// Counters (medians over the iterations): median_ms and median_GBps of the reader (wall time,
// file bytes), x_memcpy_<baseline> = reader time / memcpy time, memcpy_<baseline>_ms, cpu_ms =
// process CPU per read (all threads), GBps_per_cpu = file bytes per CPU-second of the reader.
// The reader writes 8-byte doubles: twice (float32) or four times (int16) the bytes memcpy writes.
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <algorithm>
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
#include "fcs/huge_pages.hpp"

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

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// User + system CPU of the whole process (TBB workers included).
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return s(usage.ru_utime) + s(usage.ru_stime);
}

template <typename Copy>
double timed_copy(Copy copy) {
  const auto t0 = Clock::now();
  copy();
  benchmark::ClobberMemory();
  return seconds_since(t0);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// cold: the library's kept huge-page mappings are returned to the kernel before each read, so
// every read pays for fresh memory as the first read of a process does.
template <typename Read>
void run(benchmark::State& state, const std::filesystem::path& file, Read read, bool cold = false) {
  const auto bytes = load(file);
  // Baselines first, each repeated (medians), warm before the others: on our VMs unmapping a
  // large fresh buffer can slow the next pass over other memory, which would distort "warm".
  constexpr int copies = 9;
  std::vector<char> warm(bytes.size(), 1);
  std::vector<double> reader, reader_cpu, warm_copy, fresh_copy, huge_copy;
  for (int i = 0; i < copies; ++i)
    warm_copy.push_back(timed_copy([&] {
      std::memcpy(warm.data(), bytes.data(), bytes.size());
      benchmark::DoNotOptimize(warm.data());
    }));
  for (int i = 0; i < copies; ++i)
    fresh_copy.push_back(timed_copy([&] {
      // mmap directly: a heap block of 32 MB or less could be recycled warm by malloc.
      void* fresh = ::mmap(nullptr, bytes.size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (fresh == MAP_FAILED) return state.SkipWithError("mmap failed");
      ::madvise(fresh, bytes.size(), MADV_NOHUGEPAGE);
      std::memcpy(fresh, bytes.data(), bytes.size());
      benchmark::DoNotOptimize(fresh);
      ::munmap(fresh, bytes.size());
    }));
  for (int i = 0; i < copies; ++i)
    huge_copy.push_back(timed_copy([&] {
      // As the reader's huge-page buffers, but always fresh from the kernel (map_huge may reuse).
      const auto mapping = cytopipe::fcs::detail::map_huge_fresh(bytes.size());
      if (!mapping.data) return state.SkipWithError("mmap failed");
      std::memcpy(mapping.data, bytes.data(), bytes.size());
      benchmark::DoNotOptimize(mapping.data);
      ::munmap(mapping.data, mapping.length);
    }));
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      cytopipe::fcs::detail::release_cached_huge_mappings();
      state.ResumeTiming();
    }
    const double cpu0 = process_cpu_seconds();
    const auto t0 = Clock::now();
    auto sample = read(file, bytes);
    benchmark::DoNotOptimize(sample.events.data());
    const double t = seconds_since(t0);
    reader_cpu.push_back(process_cpu_seconds() - cpu0);
    state.SetIterationTime(t);
    reader.push_back(t);
    if (sample.event_count() != events) state.SkipWithError("wrong event count");
  }
  // Medians: on a shared 2-core machine a 4 ms copy is often preempted, and means follow the
  // outliers.
  const double size = static_cast<double>(bytes.size());
  const double read_s = median(reader), cpu_s = median(reader_cpu);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.counters["median_ms"] = read_s * 1e3;
  state.counters["median_GBps"] = size / read_s / 1e9;
  state.counters["x_memcpy_warm"] = read_s / median(warm_copy);
  state.counters["x_memcpy_fresh"] = read_s / median(fresh_copy);
  state.counters["x_memcpy_fresh_huge"] = read_s / median(huge_copy);
  state.counters["memcpy_warm_ms"] = median(warm_copy) * 1e3;
  state.counters["memcpy_fresh_ms"] = median(fresh_copy) * 1e3;
  state.counters["memcpy_fresh_huge_ms"] = median(huge_copy) * 1e3;
  state.counters["cpu_ms"] = cpu_s * 1e3;
  state.counters["GBps_per_cpu"] = size / cpu_s / 1e9;
}

void from_file(benchmark::State& state, const std::filesystem::path& (*file)()) {
  run(state, file(), [](const std::filesystem::path& p, const std::vector<char>&) {
    return cytopipe::fcs::read_fcs(p);
  });
}

void from_file_cold(benchmark::State& state, const std::filesystem::path& (*file)()) {
  run(state, file(), [](const std::filesystem::path& p, const std::vector<char>&) {
    return cytopipe::fcs::read_fcs(p);
  }, true);
}

void from_memory(benchmark::State& state, const std::filesystem::path& (*file)()) {
  run(state, file(), [](const std::filesystem::path&, const std::vector<char>& bytes) {
    return cytopipe::fcs::read_fcs(std::as_bytes(std::span(bytes)), "memory");
  });
}

BENCHMARK_CAPTURE(from_file, float32_1M_x16, float_file)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(from_file_cold, float32_1M_x16, float_file)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(from_memory, float32_1M_x16, float_file)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(from_file, int16_mask_1M_x16, int_file)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(from_file_cold, int16_mask_1M_x16, int_file)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(from_memory, int16_mask_1M_x16, int_file)->Unit(benchmark::kMillisecond)->UseManualTime();

}  // namespace

BENCHMARK_MAIN();
