import DXLink
