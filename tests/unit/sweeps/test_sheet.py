"""The contact sheet (server/sweeps/sheet.py): its layout, a labelled cell and marked cells, by pixels."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from server.sweeps.schemas import SweepAxis
from server.sweeps.sheet import BOX, CROSS, EMPTY, GAP, HEADER_HEIGHT, HEADING_HEIGHT, LABEL_WIDTH, SheetCell, cell_origin, contact_sheet, grid_size

CFG = SweepAxis(name="cfg", values=[4, 6, 8])
SEED = SweepAxis(name="seed", values=[1, 2, 3])
STEPS = SweepAxis(name="steps", values=[10, 20])
BLUE = (0, 0, 255)


def picture(tmp_path: Path, color: tuple[int, int, int], size: tuple[int, int] = (512, 512), name: str = "") -> Path:
    path = tmp_path / f"{name or '-'.join(map(str, color))}.png"
    Image.new("RGB", size, color).save(path)
    return path


def cells(count: int, image: Path | None) -> list[SheetCell]:
    return [SheetCell(index=index, image=image) for index in range(count)]


def colors(sheet: Image.Image, box: tuple[int, int, int, int]) -> set[tuple[int, int, int]]:
    return {color for _, color in sheet.crop(box).getcolors(maxcolors=1 << 16)}


def test_a_3x3_sheet_is_three_rows_and_columns_of_fixed_boxes_with_labels(tmp_path: Path) -> None:
    sheet = contact_sheet([CFG, SEED], cells(9, picture(tmp_path, BLUE)))
    assert sheet.size == grid_size(3, 3) == (LABEL_WIDTH + GAP + 3 * (BOX + GAP), HEADER_HEIGHT + 3 * (BOX + GAP))
    assert sheet.mode == "RGB"


def test_a_cell_shows_its_own_image_under_its_column_label_beside_its_row_label(tmp_path: Path) -> None:
    red, blue = picture(tmp_path, (255, 0, 0)), picture(tmp_path, BLUE)
    grid = cells(9, blue)
    grid[5] = SheetCell(index=5, image=red)  # cfg = 6, seed = 3
    sheet = contact_sheet([CFG, SEED], grid)
    x, y = cell_origin([CFG, SEED], 5)
    assert (x, y) == (LABEL_WIDTH + GAP + 2 * (BOX + GAP), HEADER_HEIGHT + 1 * (BOX + GAP))
    assert colors(sheet, (x + 10, y + 10, x + BOX - 10, y + BOX - 10)) == {(255, 0, 0)}, "the square image fills its box"
    assert colors(sheet, (x + 10, y + BOX + GAP + 10, x + BOX - 10, y + 2 * BOX)) == {BLUE}, "the cell below is another's"
    header = sheet.crop((x, 0, x + BOX, HEADER_HEIGHT))
    assert len(colors(header, (0, 0, BOX, HEADER_HEIGHT))) > 1, "the column label 'seed = 3' is written above it"
    row_label = sheet.crop((0, y, LABEL_WIDTH, y + BOX))
    assert len(colors(row_label, (0, 0, LABEL_WIDTH, BOX))) > 1, "the row label 'cfg = 6' is beside it"


def test_an_image_of_another_shape_is_fitted_into_its_box(tmp_path: Path) -> None:
    sheet = contact_sheet([CFG], [SheetCell(index=0, image=picture(tmp_path, BLUE, (1024, 512)))])
    x, y = cell_origin([CFG], 0)
    assert sheet.getpixel((x + BOX // 2, y + BOX // 2)) == BLUE
    assert sheet.getpixel((x + BOX // 2, y + 10)) == (255, 255, 255), "letterboxed: the image is half as tall as wide"


def test_a_failed_cell_is_a_grey_box_with_a_red_cross(tmp_path: Path) -> None:
    grid = cells(9, picture(tmp_path, BLUE))
    grid[4] = SheetCell(index=4, image=None, mark="failed")
    grid[8] = SheetCell(index=8, image=tmp_path / "gone.png")  # finished, but its file is gone
    sheet = contact_sheet([CFG, SEED], grid)
    for index in (4, 8):
        x, y = cell_origin([CFG, SEED], index)
        found = colors(sheet, (x, y, x + BOX, y + BOX))
        assert EMPTY in found and CROSS in found, index
        assert BLUE not in found
    x, y = cell_origin([CFG, SEED], 0)
    assert CROSS not in colors(sheet, (x, y, x + BOX, y + BOX))


def test_a_third_axis_stacks_one_grid_per_value_under_its_heading(tmp_path: Path) -> None:
    red, blue = picture(tmp_path, (255, 0, 0)), picture(tmp_path, BLUE)
    axes = [CFG, SEED, STEPS]
    # Row-major over the three axes: the last one varies fastest, so odd cells are steps = 20.
    grid = [SheetCell(index=index, image=red if index % 2 else blue) for index in range(18)]
    sheet = contact_sheet(axes, grid)
    width, height = grid_size(3, 3)
    assert sheet.size == (width, 2 * (HEADING_HEIGHT + height))
    for index in range(18):
        x, y = cell_origin(axes, index)
        assert sheet.getpixel((x + BOX // 2, y + BOX // 2)) == ((255, 0, 0) if index % 2 else BLUE), index
    second_grid = HEADING_HEIGHT + height
    assert cell_origin(axes, 1)[1] == second_grid + HEADING_HEIGHT + HEADER_HEIGHT
    assert len(colors(sheet, (0, second_grid, width, second_grid + HEADING_HEIGHT))) > 1, "'steps = 20' heads the second grid"
