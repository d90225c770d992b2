#pragma once
// Everything of the plot stage.
#include "cytopipe/plot/density.hpp"
#include "cytopipe/plot/dose.hpp"
#include "cytopipe/plot/figure.hpp"
#include "cytopipe/plot/grid.hpp"
#include "cytopipe/plot/histogram.hpp"
#include "cytopipe/plot/render.hpp"
#include "cytopipe/plot/report.hpp"
#include "cytopipe/plot/scale.hpp"
#include "cytopipe/plot/table.hpp"
#include "cytopipe/plot/xy.hpp"
