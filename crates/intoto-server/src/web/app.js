// The intoto store page.
