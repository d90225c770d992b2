#pragma once
// FlowJo's biex as FlowJo itself computes it: a biexponential laid out on a whole number of
// display channels, its zero snapped to a whole channel (so the decades are adjusted to fit),
// tabulated at every channel. FlowJoBiex (transform.hpp) is the continuous logicle it approximates
// (within one channel of 4096); this is the table FlowJo exports and gates with.
#include <cstddef>
#include <span>
#include <vector>

namespace cytopipe::transform {

class FlowJoBiexTable {
 public:
  // FlowJo's settings: maxRange, width basis (<= -1), positive decades, extra negative decades,
  // and the number of channels of the table (FlowJo uses 4096 for a length-256 axis).
  FlowJoBiexTable(double max_range, double width, double positive_decades, double negative_decades,
                  std::size_t channels = 4096);
  // The data value at channels 0 .. channels - 1: the table FlowJo exports.
  std::span<const double> values() const noexcept { return values_; }
  std::size_t channels() const noexcept { return channels_; }
  std::size_t zero_channel() const noexcept { return zero_; }
  // The data value at a (fractional) channel, from the continuous function the table samples.
  double data(double channel) const;
  // The channel of a data value: linear interpolation in the table; beyond its ends, the
  // continuous function inverted by bisection.
  double channel(double data) const;
  // channel / channels: the display scale 0..1.
  double scale(double data) const { return channel(data) / static_cast<double>(channels_); }

 private:
  double branch(double channel) const;  // the positive branch, before the zero offset
  std::size_t channels_ = 0, zero_ = 0;
  double minimum_ = 0, positive_range_ = 0, negative_range_ = 0, negative_scale_ = 0, offset_ = 0;
  std::vector<double> values_;  // channels_ + 1 values (0 .. channels_)
};

}  // namespace cytopipe::transform
