#pragma once
// Exhaustive dispatch over a std::variant: std::visit(Overloaded{[](const A&) {...}, ...}, v)
// fails to compile when an alternative has no handler, so a new gate kind or scale cannot be
// dropped silently by a switch that forgot it. Keep catch-all `auto` lambdas out of these sets.

namespace cytopipe {

template <class... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};
template <class... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;  // clang before 17 does not deduce aggregates

}  // namespace cytopipe
